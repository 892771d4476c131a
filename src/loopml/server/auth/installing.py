"""Auth for the platform server: ``install(app, client)`` and ``check_bind(host, enabled)``.

The package ``loopml.server.auth`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.auth import Forbidden, Unauthenticated
from loopml.errors import ConfigError
from loopml.server.audit import AuditMiddleware, AuditWriter
from loopml.server.auth import api_routes, pages
from loopml.server.auth.authorizer import Authorizer, is_loopback
from loopml.server.auth.errors import auth_error_handler

if TYPE_CHECKING:
    from fastapi import FastAPI

    from loopml.client import Client


def install(app: FastAPI, client: Client, *, required: bool | None = None) -> Authorizer:
    """Turn on auth and auditing for ``app`` (call once, before the app starts).

    Args:
        app: the platform FastAPI app.
        client: the loopml client whose store holds users, tokens and the audit log.
        required: ``True`` always asks for credentials, ``False`` never (loopback callers
            only), ``None`` (default) asks once the store has an enabled user.

    Returns:
        The authorizer now on ``app.state.authorizer``.
    """
    authorizer = Authorizer(client.auth, required)
    writer = AuditWriter(client.auth)
    app.state.authorizer = authorizer
    app.state.audit_writer = writer
    app.add_middleware(AuditMiddleware, writer=writer)
    app.add_exception_handler(Unauthenticated, auth_error_handler)
    app.add_exception_handler(Forbidden, auth_error_handler)
    app.include_router(pages.router)
    app.include_router(api_routes.router)
    app.router.add_event_handler("shutdown", writer.flush)
    return authorizer


def check_bind(host: str, auth_enabled: bool) -> None:
    """Refuse to serve a non-loopback address without auth.

    Raises:
        ConfigError: ``host`` is not a loopback address and auth is off.
    """
    if auth_enabled or is_loopback(host):
        return
    raise ConfigError(
        f"refusing to listen on {host!r} without auth: anyone who can reach it could change "
        "runs, models and deployments. Create an admin first (`loopml users add NAME --role "
        "admin --password`) or listen on 127.0.0.1"
    )

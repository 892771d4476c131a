"""Who is calling, and may they: Bearer tokens, UI sessions, the single local user."""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import TYPE_CHECKING

from loopml.auth import Forbidden, Unauthenticated, local_principal

if TYPE_CHECKING:
    from starlette.requests import Request

    from loopml.auth import Auth, Principal

logger = logging.getLogger(__name__)

SESSION_COOKIE = "loopml_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ENABLED_TTL_S = 2.0


def is_loopback(host: str | None) -> bool:
    """Whether ``host`` (an address or ``localhost``) is a loopback address."""
    if host is None:
        return False
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Authorizer:
    """The server's ``app.state.authorizer``: ``(request, permission) -> Principal`` or raise.

    Deny by default: a request gets a principal from a Bearer token, from a UI session
    cookie, or (only while auth is off and the caller is on a loopback address) the
    single local user; then its roles must grant the permission.

    Args:
        auth: the store's :class:`~loopml.auth.Auth`.
        required: ``True`` always asks for credentials; ``False`` never does (loopback
            only); ``None`` (default) asks once the store has an enabled user.
    """

    def __init__(self, auth: Auth, required: bool | None = None) -> None:
        self.auth = auth
        self.required = required
        self._enabled: tuple[bool, float] | None = None

    def is_enabled(self) -> bool:
        """Whether credentials are required now (cached for two seconds)."""
        if self.required is not None:
            return self.required
        now = time.monotonic()
        if self._enabled is None or self._enabled[1] <= now:
            self._enabled = (self.auth.is_enabled(), now + _ENABLED_TTL_S)
        return self._enabled[0]

    def __call__(self, request: Request, permission: str) -> Principal:
        principal = self.identify(request)
        request.state.principal = principal
        if principal.via == "session" and request.method not in SAFE_METHODS:
            sent = request.headers.get(CSRF_HEADER)
            if not sent or sent != principal.csrf:
                raise Forbidden(
                    "missing or wrong CSRF token; reload the page and try again "
                    "(scripts should send an API token instead of a session cookie)"
                )
        if not principal.allows(permission):
            # Same answer whether or not the object exists: nothing leaks through 403 vs 404.
            raise Forbidden(
                f"{principal.name!r} ({', '.join(principal.roles) or 'no roles'}) lacks the "
                f"permission {permission!r}; ask an admin for a role that grants it "
                "(`loopml roles list`)"
            )
        return principal

    def identify(self, request: Request) -> Principal:
        """Return the caller (token, session, or the local user) or raise Unauthenticated."""
        cached: Principal | None = getattr(request.state, "principal", None)
        if cached is not None:
            return cached
        header = request.headers.get("authorization", "")
        scheme, _, credentials = header.partition(" ")
        local = not self.is_enabled() and is_loopback(_peer(request))
        if scheme.lower() == "bearer" and credentials.strip() and not local:
            # With no users no token can exist: a stray MLFLOW_TRACKING_TOKEN is ignored.
            return self.auth.authenticate_token(credentials.strip())
        session = request.cookies.get(SESSION_COOKIE)
        if session:
            found = self.auth.session_principal(session)
            if found is not None:
                return found
        if local:
            return local_principal()
        if not self.is_enabled():
            raise Unauthenticated(
                "this server has no users yet and only trusts callers on 127.0.0.1; create "
                "one with `loopml users add NAME --role admin` and use a token"
            )
        raise Unauthenticated(
            "log in, or send an API token as 'Authorization: Bearer <token>' "
            "(create one with `loopml tokens create USER`)"
        )


def _peer(request: Request) -> str | None:
    return request.client.host if request.client is not None else None

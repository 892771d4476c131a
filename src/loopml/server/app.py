"""The platform server's app factory: REST for every component, MLflow compatibility, the UI.

``create_app(client)`` builds one FastAPI app over a :class:`~loopml.client.Client`. Every
route declares its permission with :func:`loopml.server.access.requires`; the auth
package installs the authorizer that enforces them, the UI package mounts its pages.
"""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

from fastapi import FastAPI
from pydantic import BaseModel

from loopml import __version__
from loopml.server import errors
from loopml.server.access import requires
from loopml.server.limits import DEFAULT_MAX_BODY, BodyLimit
from loopml.server.mlflow import ROUTERS as MLFLOW_ROUTERS
from loopml.server.routers import ROUTERS

if TYPE_CHECKING:
    from loopml.client import Client

DESCRIPTION = """REST API of the loopml platform server.

Everything the Python API does for experiments, runs, datasets, the model registry,
pipelines, feature views, monitors and loops, over HTTP. Errors are JSON
(`{"error", "message", "error_code"}`) with a 4xx status that says what was wrong.
MLflow clients work unchanged against `/api/2.0/mlflow/...` (see docs/server.md).
"""


class Health(BaseModel):
    """The server is up."""

    status: str = "ok"
    version: str = __version__


def create_app(
    client: Client,
    *,
    max_body: int = DEFAULT_MAX_BODY,
    mlflow: bool = True,
    title: str = "loopml",
) -> FastAPI:
    """Return the platform server app over ``client``.

    Args:
        client: the (local) client whose store the server serves.
        max_body: largest request body in bytes; larger ones get 413.
        mlflow: also serve the MLflow-compatible API under ``/api/2.0/mlflow``.
        title: title of the OpenAPI document.

    Returns:
        The FastAPI app (serve it with uvicorn, or ``loopml up``).
    """
    app = FastAPI(title=title, version=__version__, description=DESCRIPTION)
    app.state.client = client
    app.state.authorizer = None
    app.state.max_body = max_body
    errors.install(app)
    for router in ROUTERS:
        app.include_router(router)
    if mlflow:
        for router in MLFLOW_ROUTERS:
            app.include_router(router)
    app.add_api_route(
        "/health",
        _health,
        methods=["GET"],
        response_model=Health,
        tags=["server"],
        summary="Health check",
    )
    _install_optional(app, client)
    app.add_middleware(BodyLimit, max_body=max_body)
    return app


def _health() -> Health:
    return Health()


def _install_optional(app: FastAPI, client: Client) -> None:
    """Let the auth and UI packages add themselves, when they are part of this install.

    The auth package installs ``app.state.authorizer`` (called by every ``requires``
    dependency) and the audit middleware; the UI package mounts its pages and static files.
    """
    for name in ("loopml.server.auth", "loopml.server.ui"):
        if importlib.util.find_spec(name) is not None:
            module = importlib.import_module(f"{name}.installing")
            module.install(app, client)


__all__ = ["create_app", "requires"]

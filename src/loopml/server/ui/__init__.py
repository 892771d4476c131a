"""The web UI: server-rendered pages (Jinja2 + htmx) with uPlot charts, inside the wheel.

``install(app, client)`` mounts the pages under ``/ui`` and the static files under
``/ui/static``. Every page is a GET that checks a ``<resource>:read`` permission through
the app's authorizer (see docs/ui.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.errors import LoopmlError
from loopml.server.ui import (
    admin_pages,
    ops_pages,
    pipeline_pages,
    registry_pages,
    tracking_pages,
)
from loopml.server.ui.errors import page_error_handler
from loopml.server.ui.static_files import STATIC, CachedStaticFiles

if TYPE_CHECKING:
    from fastapi import FastAPI

    from loopml.client import Client

__all__ = ["install"]

ROUTERS = (
    tracking_pages.router,
    registry_pages.router,
    pipeline_pages.router,
    ops_pages.router,
    admin_pages.router,
)


def install(app: FastAPI, client: Client) -> None:
    """Serve the web UI of ``client``'s store from ``app`` under ``/ui``."""
    app.state.ui_client = client
    fallback = app.exception_handlers.get(LoopmlError)
    app.add_exception_handler(LoopmlError, page_error_handler(fallback))
    app.mount("/ui/static", CachedStaticFiles(directory=str(STATIC)), name="ui-static")
    for router in ROUTERS:
        app.include_router(router)

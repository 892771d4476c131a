"""The web UI: server-rendered pages (Jinja2 + htmx) with uPlot charts, inside the wheel.

The package ``loopml.server.ui`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.errors import LoopmlError
from loopml.server.ui import (
    admin_pages,
    loop_pages,
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


ROUTERS = (
    tracking_pages.router,
    registry_pages.router,
    pipeline_pages.router,
    ops_pages.router,
    admin_pages.router,
    loop_pages.router,
)


def install(app: FastAPI, client: Client) -> None:
    """Serve the web UI of ``client``'s store from ``app`` under ``/ui``."""
    app.state.ui_client = client
    fallback = app.exception_handlers.get(LoopmlError)
    app.add_exception_handler(LoopmlError, page_error_handler(fallback))
    app.mount("/ui/static", CachedStaticFiles(directory=str(STATIC)), name="ui-static")
    for router in ROUTERS:
        app.include_router(router)

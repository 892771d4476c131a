"""Errors on UI pages become an HTML page with the message (API routes keep their handler)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.responses import JSONResponse, Response

from loopml.errors import LoopmlError
from loopml.server.ui.templating import render

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from starlette.requests import Request

    Handler = Callable[[Request, Exception], Response | Awaitable[Response]]


def page_error_handler(fallback: Handler | None) -> Handler:
    """Return a handler rendering LoopmlErrors under ``/ui`` as pages, else ``fallback``."""

    async def handle(request: Request, exc: Exception) -> Response:
        status = exc.http_status if isinstance(exc, LoopmlError) else 500
        if request.url.path.startswith("/ui") or fallback is None:
            if not request.url.path.startswith("/ui"):
                body = {"error": type(exc).__name__, "message": str(exc)}
                return JSONResponse(body, status_code=status)
            principal = getattr(request.state, "principal", None)
            context = {"status": status, "message": str(exc), "kind": type(exc).__name__}
            return render(request, "error.html", context, principal=principal, status_code=status)
        result = fallback(request, exc)
        return result if isinstance(result, Response) else await result

    return handle

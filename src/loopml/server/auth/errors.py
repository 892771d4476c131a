"""How 401 and 403 look: JSON for the API, a redirect to the login page for the browser UI."""

from __future__ import annotations

from typing import TYPE_CHECKING
from urllib.parse import quote

from starlette.responses import JSONResponse, RedirectResponse, Response

from loopml.auth import Unauthenticated

if TYPE_CHECKING:
    from starlette.requests import Request

UI_PREFIX = "/ui"


async def auth_error_handler(request: Request, exc: Exception) -> Response:
    """Answer Unauthenticated with 401 (or a login redirect) and Forbidden with 403."""
    wants_page = request.url.path.startswith(UI_PREFIX) and request.method == "GET"
    if isinstance(exc, Unauthenticated) and wants_page and "hx-request" not in request.headers:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"{UI_PREFIX}/login?next={quote(target)}", status_code=303)
    status = 401 if isinstance(exc, Unauthenticated) else 403
    body = {"error": type(exc).__name__, "message": str(exc)}
    headers = {"WWW-Authenticate": 'Bearer realm="loopml"'} if status == 401 else None
    return JSONResponse(body, status_code=status, headers=headers)

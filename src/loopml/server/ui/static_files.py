"""Static files with long-lived caching: every URL carries the file's content digest."""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.staticfiles import StaticFiles

if TYPE_CHECKING:
    from starlette.responses import Response
    from starlette.types import Scope

STATIC = Path(__file__).parent / "static"
ONE_YEAR = 31_536_000


class CachedStaticFiles(StaticFiles):
    """Serve the UI's static files; browsers keep them for a year (the URL changes with them)."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        """Return the file with ``Cache-Control: immutable`` when it was found."""
        response = await super().get_response(path, scope)
        if response.status_code == 200:
            response.headers["Cache-Control"] = f"public, max-age={ONE_YEAR}, immutable"
        return response


@cache
def static_url(name: str) -> str:
    """Return ``/ui/static/<name>?v=<digest>`` so a changed file gets a new URL."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/ui/static/{name}?v={digest}"

"""Request body limit of the platform server: larger bodies get 413 before (or while) they
are read (:mod:`loopml._utils.body_limit`), in the MLflow-compatible error shape.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from loopml._utils.body_limit import BodyLimit as _BodyLimit

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Send

DEFAULT_MAX_BODY = 32 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised inside the app when a streamed body crosses the limit."""


class BodyLimit(_BodyLimit):
    """ASGI middleware refusing request bodies larger than ``max_body`` bytes with 413."""

    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        super().__init__(app, max_body, error=lambda size: BodyTooLarge(), refuse=self._refuse_with)
        self.max_body = max_body

    async def _refuse_with(self, send: Send, size: int) -> None:
        body = json.dumps(
            {
                "error": "RequestTooLarge",
                "message": (
                    f"request body of {size} bytes or more is over the limit of "
                    f"{self.max_body} bytes; send smaller batches, or start the server "
                    "with a larger --max-body"
                ),
                "error_code": "REQUEST_LIMIT_EXCEEDED",
            }
        ).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"connection", b"close"),
        ]
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})

"""Request body limit: larger bodies get 413 before (or while) they are read.

A declared ``Content-Length`` over the limit is refused before the app sees the request.
A chunked body is counted as it streams in and refused as soon as it crosses the limit,
so the server never holds more than the limit in memory.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_MAX_BODY = 32 * 1024 * 1024


class BodyTooLarge(Exception):
    """Raised inside the app when a streamed body crosses the limit."""


class BodyLimit:
    """ASGI middleware refusing request bodies larger than ``max_body`` bytes with 413."""

    def __init__(self, app: ASGIApp, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await self._refuse(send, declared)
            return
        seen = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(send, seen)

    async def _refuse(self, send: Send, size: int) -> None:
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


def _content_length(scope: Scope) -> int | None:
    for key, value in scope.get("headers", ()):
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None

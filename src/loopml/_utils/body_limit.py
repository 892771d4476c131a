"""ASGI request-body limit: a body over the limit is refused before (or while) it is read.

A declared ``Content-Length`` over the limit is refused before the app sees the request.
A streamed body is counted as it arrives: past the limit, the app's ``receive`` raises the
owner's exception (its app turns that into an answer) and, if the app has not answered
yet, the owner's ``refuse`` sends one. The server never holds more than the limit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable


class BodyLimit:
    """ASGI wrapper refusing request bodies over ``limit`` bytes.

    Args:
        app: the wrapped ASGI app.
        limit: largest accepted body, in bytes.
        error: the exception ``receive`` raises once ``size`` bytes crossed the limit.
        refuse: sends the refusal, ``refuse(send, size)``, when the app has not answered.
    """

    def __init__(
        self,
        app: Any,
        limit: int,
        *,
        error: Callable[[int], Exception],
        refuse: Callable[[Any, int], Awaitable[None]],
    ) -> None:
        self.app = app
        self.limit = limit
        self._error = error
        self._error_type = type(error(0))
        self._refuse = refuse

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        """Pass the request on, counting body bytes; refuse it past the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = declared_length(scope)
        if declared is not None and declared > self.limit:
            await self._refuse(send, declared)
            return
        seen = 0
        started = False

        async def counting_receive() -> Any:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise self._error(seen)
            return message

        async def tracking_send(message: Any) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except self._error_type:
            if not started:
                await self._refuse(send, seen)


def declared_length(scope: dict[str, Any]) -> int | None:
    """The request's ``Content-Length`` (``None`` when absent or not a number)."""
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            return int(value) if value.isdigit() else None
    return None

"""The model server's ASGI application: dispatch from the route table to :class:`ModelService`.

Routes come from :data:`loopml.serving.routes.ENDPOINTS` (declared once, with their
schemas). Static paths are one dict lookup; parameterised ones (``/v2/models/{name}``)
match segment by segment. No web framework sits on the request path. Every answer is
JSON (or the route's own media type); unknown paths get 404, wrong methods 405, wrong
content types 415 and bodies over the limit 413, read no further than the limit.
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

import orjson

from loopml.errors import LoopmlError, NotFound
from loopml.serving.errors import MethodNotAllowed, PayloadTooLarge, UnsupportedMediaType
from loopml.serving.routes import ENDPOINTS, Call, Endpoint
from loopml.serving.service import Reply

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from loopml.serving.service import ModelService

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


class Router:
    """Finds the endpoint of a method and path (pure; built once from the route table)."""

    def __init__(self, endpoints: Sequence[Endpoint]) -> None:
        self.static: dict[tuple[str, str], Endpoint] = {}
        self.templated: list[tuple[tuple[str, ...], Endpoint]] = []
        self.methods: dict[str, set[str]] = {}
        for endpoint in endpoints:
            if endpoint.is_static:
                self.static[(endpoint.method, endpoint.path)] = endpoint
            else:
                self.templated.append((endpoint.segments, endpoint))
            self.methods.setdefault(endpoint.path, set()).add(endpoint.method)

    def match(self, method: str, path: str) -> tuple[Endpoint, tuple[str, ...]] | LoopmlError:
        """Return the endpoint and its path parameters, or the error to answer with."""
        found = self.static.get((method, path))
        if found is not None:
            return found, ()
        parts = path.strip("/").split("/")
        allowed: set[str] = set(self.methods.get(path, ()))
        for segments, endpoint in self.templated:
            params = _bind(segments, parts)
            if params is None:
                continue
            if endpoint.method == method:
                return endpoint, params
            allowed.add(endpoint.method)
        if allowed:
            return MethodNotAllowed(
                f"{method} is not allowed on {path}; use {' or '.join(sorted(allowed))}",
                allowed=tuple(sorted(allowed)),
            )
        return NotFound(f"no route {path!r} on this model server; see /docs for the routes")


def _bind(segments: tuple[str, ...], parts: list[str]) -> tuple[str, ...] | None:
    if len(segments) != len(parts):
        return None
    params = []
    for segment, part in zip(segments, parts, strict=True):
        if segment[0] == "{":
            if not part:
                return None
            params.append(part)
        elif segment != part:
            return None
    return tuple(params)


class ServingApp:
    """ASGI application of one deployment.

    Args:
        service: the handlers.
        on_startup: called once when the server starts (start background threads).
        on_shutdown: called once when it stops (final prediction-log flush).
    """

    def __init__(
        self,
        service: ModelService,
        *,
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
    ) -> None:
        self.service = service
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self.router = Router(ENDPOINTS)
        self._routing_header = service.options.routing_header.lower().encode()
        self._limit = service.options.max_body_bytes

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Handle one ASGI connection scope."""
        kind = scope["type"]
        if kind == "http":
            await _send(send, await self._http(scope, receive))
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Any) -> Reply:
        matched = self.router.match(scope["method"], scope["path"])
        if isinstance(matched, LoopmlError):
            return self._refuse(matched, False)
        endpoint, params = matched
        if endpoint.request is None:
            return await endpoint.handler(self.service, Call(params))
        call = await self._read(scope, receive, endpoint, params)
        if isinstance(call, LoopmlError):
            return self._refuse(call, endpoint.v2)
        return await endpoint.handler(self.service, call)

    async def _read(
        self, scope: Scope, receive: Any, endpoint: Endpoint, params: tuple[str, ...]
    ) -> Call | LoopmlError:
        key = None
        header_length = None
        declared = None
        content_type = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value) if value.isdigit() else None
            elif name == b"content-type":
                content_type = value
            elif name == self._routing_header:
                key = value.decode("latin-1")
            elif name == b"inference-header-content-length":
                header_length = int(value) if value.isdigit() else -1
        if content_type is not None and not _accepts(endpoint.body_types, content_type):
            return UnsupportedMediaType(
                f"Content-Type {content_type.decode('latin-1')[:60]!r} is not accepted on "
                f"{endpoint.path}; send {' or '.join(endpoint.body_types)}",
                field="content-type",
            )
        limit = self._limit
        if declared is not None and declared > limit:
            return self._too_large(declared)
        message = await receive()
        body: bytes = message.get("body", b"")
        if message.get("more_body"):
            chunks = [body]
            size = len(body)
            while message.get("more_body"):
                message = await receive()
                chunk = message.get("body", b"")
                size += len(chunk)
                if size > limit:
                    return self._too_large(size)
                chunks.append(chunk)
            body = b"".join(chunks)
        elif len(body) > limit:
            return self._too_large(len(body))
        return Call(params, body, key, header_length)

    def _too_large(self, size: int) -> PayloadTooLarge:
        return PayloadTooLarge(
            f"the request body has {size} bytes or more, over this server's limit of "
            f"{self._limit}; send fewer rows per request or raise --max-body-mb"
        )

    def _refuse(self, err: LoopmlError, v2: bool) -> Reply:
        self.service.metrics.error("http", type(err).__name__)
        body = {"error": err.message} if v2 else err.to_dict()
        allowed = getattr(err, "allowed", ())
        headers = ((b"allow", ", ".join(allowed).encode()),) if allowed else ()
        return Reply(err.http_status, orjson.dumps(body), headers=headers)

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                try:
                    if self.on_startup is not None:
                        self.on_startup()
                except Exception as err:
                    logger.exception("model server start-up failed")
                    await send({"type": "lifespan.startup.failed", "message": str(err)})
                    return
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    if self.on_shutdown is not None:
                        self.on_shutdown()
                finally:
                    await send({"type": "lifespan.shutdown.complete"})
                return


@functools.lru_cache(maxsize=256)
def _accepts(types: tuple[str, ...], content_type: bytes) -> bool:
    """Whether ``content_type`` is one of ``types`` (cached: clients repeat one header)."""
    media = content_type.split(b";", 1)[0].strip().lower()
    return not media or any(media == t.encode() for t in types)


async def _send(send: Any, reply: Reply) -> None:
    headers = [
        (b"content-type", reply.content_type),
        (b"content-length", str(len(reply.body)).encode()),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})

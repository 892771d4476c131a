"""The model server's ASGI entry: a small router in front of :class:`ModelService`.

The prediction and protocol endpoints are dispatched here directly (a dict lookup and a
prefix match), which keeps framework work off the request path; every other path (the
OpenAPI docs at ``/docs``, ``/openapi.json``) goes to the FastAPI app of
:mod:`loopml.serving.app`, built on first use so that FastAPI and pydantic stay off the
start-up path.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from loopml.serving.errors import PayloadTooLarge

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.service import ModelService, Reply

logger = logging.getLogger(__name__)

Scope = dict[str, Any]


class ServingApp:
    """ASGI application of one deployment.

    Args:
        service: the handlers.
        on_startup: called once when the server starts (start background threads).
        on_shutdown: called once when it stops (final prediction-log flush).
        fallback: builds the ASGI app for other paths (default: the FastAPI shell).
    """

    def __init__(
        self,
        service: ModelService,
        *,
        on_startup: Callable[[], None] | None = None,
        on_shutdown: Callable[[], None] | None = None,
        fallback: Callable[[ModelService], Any] | None = None,
    ) -> None:
        self.service = service
        self.on_startup = on_startup
        self.on_shutdown = on_shutdown
        self._fallback_factory = fallback
        self._fallback: Any = None
        self._routing_header = service.options.routing_header.lower().encode()
        self._limit = service.options.max_body_bytes
        self._get: dict[str, Callable[[], Reply]] = {
            "/v2/health/live": service.live,
            "/v2/health/ready": service.ready,
            "/v2": service.server_metadata,
            "/v2/": service.server_metadata,
            "/metrics": service.metrics_text,
            "/health": service.live,
            "/ping": service.live,
            "/": service.info,
        }

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        """Handle one ASGI connection scope."""
        kind = scope["type"]
        if kind == "http":
            reply = await self._http(scope, receive)
            if reply is None:
                await self._fallback_app()(scope, receive, send)
                return
            await _send(send, reply)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _http(self, scope: Scope, receive: Any) -> Reply | None:
        method = scope["method"]
        path: str = scope["path"]
        service = self.service
        if method == "POST":
            if path == "/predict" or path == "/invocations":
                body, key, _ = await self._read(scope, receive)
                if isinstance(body, bytes):
                    return await service.predict(body, key)
                return body
            if path.startswith("/v2/models/") and path.endswith("/infer"):
                parsed = _model_path(path[len("/v2/models/") : -len("/infer")])
                if parsed is None:
                    return None
                body, key, header_length = await self._read(scope, receive)
                if isinstance(body, bytes):
                    return await service.infer(*parsed, body, header_length, key)
                return body
            if path == "/feedback":
                body, _, _ = await self._read(scope, receive)
                return await service.feedback(body) if isinstance(body, bytes) else body
            return None
        if method == "GET":
            handler = self._get.get(path)
            if handler is not None:
                return handler()
            if path.startswith("/v2/models/"):
                rest = path[len("/v2/models/") :]
                ready = rest.endswith("/ready")
                parsed = _model_path(rest[: -len("/ready")] if ready else rest)
                if parsed is None:
                    return None
                return service.model_ready(*parsed) if ready else service.model_metadata(*parsed)
        return None

    async def _read(
        self, scope: Scope, receive: Any
    ) -> tuple[bytes | Reply, str | None, int | None]:
        key = None
        header_length = None
        declared = None
        for name, value in scope["headers"]:
            if name == b"content-length":
                declared = int(value)
            elif name == self._routing_header:
                key = value.decode("latin-1")
            elif name == b"inference-header-content-length":
                header_length = int(value) if value.isdigit() else -1
        limit = self._limit
        if declared is not None and declared > limit:
            return self._too_large(declared), key, header_length
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
                    return self._too_large(size), key, header_length
                chunks.append(chunk)
            body = b"".join(chunks)
        return body, key, header_length

    def _too_large(self, size: int) -> Reply:
        from loopml.serving.service import Reply

        err = PayloadTooLarge(
            f"the request body has {size} bytes, over this server's limit of {self._limit}; "
            "send fewer rows per request or raise --max-body-mb"
        )
        self.service.metrics.error("http", type(err).__name__)
        return Reply(err.http_status, orjson.dumps(err.to_dict()))

    def _fallback_app(self) -> Any:
        if self._fallback is None:
            if self._fallback_factory is None:
                from loopml.serving.app import build_app

                self._fallback = build_app(self.service)
            else:
                self._fallback = self._fallback_factory(self.service)
        return self._fallback

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


def _model_path(rest: str) -> tuple[str, str | None] | None:
    name, sep, version = rest.partition("/versions/")
    if not name or "/" in name or (sep and (not version or "/" in version)):
        return None
    return name, version if sep else None


async def _send(send: Any, reply: Reply) -> None:
    headers = [
        (b"content-type", reply.content_type),
        (b"content-length", str(len(reply.body)).encode()),
        *reply.headers,
    ]
    await send({"type": "http.response.start", "status": reply.status, "headers": headers})
    await send({"type": "http.response.body", "body": reply.body})

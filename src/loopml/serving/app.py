"""The documented FastAPI shell of the model server (``/docs``, ``/openapi.json``).

Every route calls the same :class:`~loopml.serving.service.ModelService` handler as the
fast router in :mod:`loopml.serving.asgi`; this app is built on the first request that
the router does not answer itself, so FastAPI is never on the start-up path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from fastapi import FastAPI, Request, Response

from loopml._version import __version__

if TYPE_CHECKING:
    from loopml.serving.service import ModelService, Reply

_PREDICT_EXAMPLE = {
    "records": {"value": {"records": [{"age": 41, "income": 52000.0}]}},
    "split": {"value": {"columns": ["age", "income"], "data": [[41, 52000.0]]}},
    "instances": {"value": {"instances": [[41, 52000.0]]}},
}
_V2_EXAMPLE = {
    "matrix": {
        "value": {
            "inputs": [
                {"name": "input-0", "shape": [1, 2], "datatype": "FP64", "data": [41, 52000]}
            ]
        }
    }
}


def _respond(reply: Reply) -> Response:
    headers = {k.decode(): v.decode() for k, v in reply.headers}
    return Response(
        reply.body,
        status_code=reply.status,
        media_type=reply.content_type.decode(),
        headers=headers,
    )


def _body_doc(examples: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"type": "object"}, "examples": examples}},
        }
    }


def build_app(service: ModelService) -> FastAPI:
    """Return the FastAPI app documenting (and serving) every endpoint of ``service``."""
    app = FastAPI(
        title=f"loopml model server: {service.deployment}",
        version=__version__,
        description="JSON predictions, the Open Inference Protocol V2, feedback and metrics.",
    )
    header = service.options.routing_header

    @app.post("/predict", tags=["predict"], openapi_extra=_body_doc(_PREDICT_EXAMPLE))
    async def predict(request: Request) -> Response:
        """Score records, split columns or instances; returns predictions and their ids."""
        return _respond(await service.predict(await request.body(), request.headers.get(header)))

    @app.post("/v2/models/{name}/infer", tags=["v2"], openapi_extra=_body_doc(_V2_EXAMPLE))
    async def infer(name: str, request: Request) -> Response:
        """Open Inference Protocol V2 inference."""
        return _respond(await _infer(service, name, None, request, header))

    @app.post("/v2/models/{name}/versions/{version}/infer", tags=["v2"])
    async def infer_version(name: str, version: str, request: Request) -> Response:
        """Open Inference Protocol V2 inference on one loaded version."""
        return _respond(await _infer(service, name, version, request, header))

    @app.get("/v2/models/{name}", tags=["v2"])
    def metadata(name: str) -> Response:
        """V2 model metadata: inputs, outputs, versions."""
        return _respond(service.model_metadata(name, None))

    @app.get("/v2/models/{name}/ready", tags=["v2"])
    def model_ready(name: str) -> Response:
        """V2 model readiness."""
        return _respond(service.model_ready(name, None))

    @app.get("/v2/health/live", tags=["v2"])
    def live() -> Response:
        """V2 server liveness."""
        return _respond(service.live())

    @app.get("/v2/health/ready", tags=["v2"])
    def ready() -> Response:
        """V2 server readiness."""
        return _respond(service.ready())

    @app.get("/v2", tags=["v2"])
    def server_metadata() -> Response:
        """V2 server metadata."""
        return _respond(service.server_metadata())

    @app.post("/feedback", tags=["feedback"])
    async def feedback(request: Request) -> Response:
        """Record ground-truth labels: {"prediction_id": ..., "label": ...} or a list."""
        return _respond(await service.feedback(await request.body()))

    @app.get("/metrics", tags=["operations"])
    def metrics() -> Response:
        """Prometheus metrics."""
        return _respond(service.metrics_text())

    @app.get("/", tags=["operations"])
    def info() -> Response:
        """The deployment, its routes and the versions they serve."""
        return _respond(service.info())

    return app


async def _infer(
    service: ModelService, name: str, version: str | None, request: Request, header: str
) -> Reply:
    length = request.headers.get("inference-header-content-length")
    return await service.infer(
        name,
        version,
        await request.body(),
        int(length) if length is not None and length.isdigit() else None,
        request.headers.get(header),
    )

"""The model server's route table: every endpoint declared once.

Each :class:`Endpoint` names its method and path, the handler on
:class:`~loopml.serving.service.ModelService`, its request and response schemas and the
error statuses it answers. The ASGI router (:mod:`loopml.serving.asgi`) dispatches from
this table and the OpenAPI document (:mod:`loopml.serving.openapi`) is generated from it,
so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal, NamedTuple

from loopml.serving import openapi, schemas

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from loopml.serving.schemas import Schema
    from loopml.serving.service import ModelService, Reply
    from loopml.serving.validation import Validator


class Call(NamedTuple):
    """What a handler gets from the HTTP layer: path parameters, body and two headers."""

    params: tuple[str, ...]
    body: bytes = b""
    key: str | None = None
    header_length: int | None = None


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One route: how it is called, what it takes and returns, and how it fails.

    Attributes:
        method: ``GET`` or ``POST``.
        path: the OpenAPI path template (``/v2/models/{name}/infer``).
        handler: ``(service, call) -> Reply``.
        summary: one line for the docs.
        tag: the docs section.
        request: builds the JSON Schema of the body from the served signature (``None``:
            no body).
        response: JSON Schema of a 200 body (``None``: empty or not JSON).
        response_type: media type of a 200 body.
        errors: the 4xx/5xx statuses this route answers.
        v2: errors use the Open Inference Protocol shape ``{"error": ...}``.
        body_types: the accepted request content types.
    """

    method: Literal["GET", "POST"]
    path: str
    handler: Callable[[ModelService, Call], Awaitable[Reply]]
    summary: str
    tag: str
    request: Callable[[Validator | None], Schema] | None = None
    response: Schema | None = None
    response_type: str = "application/json"
    errors: tuple[int, ...] = ()
    v2: bool = False
    body_types: tuple[str, ...] = ("application/json",)

    @property
    def segments(self) -> tuple[str, ...]:
        """The path split on ``/`` (``{name}`` segments match any one segment)."""
        return tuple(self.path.strip("/").split("/")) if self.path != "/" else ()

    @property
    def is_static(self) -> bool:
        """Whether the path has no parameters."""
        return "{" not in self.path


# The body handlers hand back the service's coroutine itself (no wrapper frame to enter
# and leave on every prediction).
def _predict(service: ModelService, call: Call) -> Awaitable[Reply]:
    return service.predict(call.body, call.key)


def _infer(service: ModelService, call: Call) -> Awaitable[Reply]:
    name, version = call.params[0], call.params[1] if len(call.params) > 1 else None
    return service.infer(name, version, call.body, call.header_length, call.key)


def _feedback(service: ModelService, call: Call) -> Awaitable[Reply]:
    return service.feedback(call.body)


async def _metadata(service: ModelService, call: Call) -> Reply:
    return service.model_metadata(call.params[0], call.params[1] if len(call.params) > 1 else None)


async def _model_ready(service: ModelService, call: Call) -> Reply:
    return service.model_ready(call.params[0], call.params[1] if len(call.params) > 1 else None)


async def _live(service: ModelService, call: Call) -> Reply:
    return service.live()


async def _ready(service: ModelService, call: Call) -> Reply:
    return service.ready()


async def _server_metadata(service: ModelService, call: Call) -> Reply:
    return service.server_metadata()


async def _metrics(service: ModelService, call: Call) -> Reply:
    return service.metrics_text()


async def _info(service: ModelService, call: Call) -> Reply:
    return service.info()


async def _openapi(service: ModelService, call: Call) -> Reply:
    return service.openapi_reply(openapi.document(ENDPOINTS, service))


async def _docs(service: ModelService, call: Call) -> Reply:
    return service.html_reply(openapi.docs_page(service.deployment))


_BODY_ERRORS = (400, 404, 413, 415, 422)
_BINARY = ("application/json", "application/octet-stream")
_INFER_DOC = "Open Inference Protocol V2 inference (JSON or binary tensors)."
_METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"

ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint(
        "POST", "/predict", _predict,
        "Score records, split columns or instances; returns predictions and their ids.",
        "predict", schemas.predict_request, schemas.PREDICT_RESPONSE, errors=_BODY_ERRORS,
    ),
    Endpoint(
        "POST", "/invocations", _predict,
        "The same as /predict, on the path MLflow and SageMaker clients call.",
        "predict", schemas.predict_request, schemas.PREDICT_RESPONSE, errors=_BODY_ERRORS,
    ),
    Endpoint(
        "POST", "/v2/models/{name}/infer", _infer, _INFER_DOC, "v2",
        schemas.infer_request, schemas.INFER_RESPONSE, errors=_BODY_ERRORS, v2=True,
        body_types=_BINARY,
    ),
    Endpoint(
        "POST", "/v2/models/{name}/versions/{version}/infer", _infer,
        "V2 inference on one loaded version.", "v2",
        schemas.infer_request, schemas.INFER_RESPONSE, errors=_BODY_ERRORS, v2=True,
        body_types=_BINARY,
    ),
    Endpoint(
        "GET", "/v2/models/{name}", _metadata,
        "V2 model metadata: the inputs this server accepts, outputs, versions.", "v2",
        response=schemas.MODEL_METADATA, errors=(404,), v2=True,
    ),
    Endpoint(
        "GET", "/v2/models/{name}/versions/{version}", _metadata,
        "V2 metadata of one loaded version.", "v2",
        response=schemas.MODEL_METADATA, errors=(404,), v2=True,
    ),
    Endpoint(
        "GET", "/v2/models/{name}/ready", _model_ready, "V2 model readiness (200, empty).",
        "v2", errors=(404,), v2=True,
    ),
    Endpoint(
        "GET", "/v2/models/{name}/versions/{version}/ready", _model_ready,
        "V2 readiness of one version (200, empty).", "v2", errors=(404,), v2=True,
    ),
    Endpoint("GET", "/v2/health/live", _live, "V2 liveness (200, empty).", "v2"),
    Endpoint(
        "GET", "/v2/health/ready", _ready,
        "V2 readiness: 200 when every route has a version loaded, else 400.", "v2",
        errors=(400,),
    ),
    Endpoint(
        "GET", "/v2", _server_metadata, "V2 server metadata.", "v2",
        response=schemas.SERVER_METADATA,
    ),
    Endpoint(
        "POST", "/feedback", _feedback,
        "Record ground-truth labels of this deployment's predictions (404: unknown id).",
        "feedback", lambda _validator: schemas.FEEDBACK_REQUEST, schemas.FEEDBACK_RESPONSE,
        errors=_BODY_ERRORS,
    ),
    Endpoint(
        "GET", "/metrics", _metrics, "Prometheus metrics.", "operations",
        response_type=_METRICS_TYPE,
    ),
    Endpoint("GET", "/health", _live, "Liveness (200, empty).", "operations"),
    Endpoint("GET", "/ping", _live, "Liveness, on the path SageMaker calls.", "operations"),
    Endpoint(
        "GET", "/", _info, "The deployment, its routes and the versions they serve.",
        "operations", response=schemas.INFO,
    ),
    Endpoint("GET", "/openapi.json", _openapi, "This OpenAPI document.", "operations"),
    Endpoint(
        "GET", "/docs", _docs, "Interactive API documentation (Swagger UI).", "operations",
        response_type="text/html",
    ),
)  # fmt: skip

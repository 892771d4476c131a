"""The HTTP feature server: a thin FastAPI shell over :meth:`OnlineService.get_online_features`.

Endpoints::

    GET  /health                 {"status": "ok"}
    GET  /views                  registered views with their versions and features
    POST /online-features        {"entities": {"customer_id": [1, 2]},
                                  "features": ["activity:orders_7d"], "full_names": false}
                                 -> {"results": {"customer_id": [...], "orders_7d": [...]}}
    POST /get-online-features    the same (the path Feast clients use)

Errors come back as ``{"error": ..., "message": ..., "field": ...}`` with the error's HTTP
status: 400 for a body that is not JSON, 404 for an unknown view or feature, 405 for a
wrong method, 413 for a body over the limit (refused before it is read into memory), 415
for a Content-Type other than JSON and 422 for a value that does not fit. The request
body is parsed with orjson rather than a pydantic model: for a 1-entity lookup, model
validation would cost more than the lookup itself; its schema is still documented.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response
from starlette.exceptions import HTTPException

from loopml import _hooks
from loopml._utils.body_limit import BodyLimit as _BodyLimit
from loopml.errors import InvalidInput, LoopmlError

if TYPE_CHECKING:
    from loopml.features.service import OnlineService

logger = logging.getLogger(__name__)
_JSON = "application/json"
_INT64 = (-(2**63), 2**63)
DEFAULT_MAX_BODY_MB = 32.0


class BadRequestBody(InvalidInput):
    """The body is not JSON, or not the documented object."""

    http_status = 400


class RequestTooLarge(InvalidInput):
    """The body is over the server's limit."""

    http_status = 413


class UnsupportedContentType(InvalidInput):
    """The Content-Type is not JSON."""

    http_status = 415


class LookupInvalid(InvalidInput):
    """A value of the lookup does not fit; ``field`` names it."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.field = field

    def to_dict(self) -> dict[str, object]:
        """Return the JSON error body with the offending field."""
        return {**super().to_dict(), "field": self.field}


_ERROR_SCHEMA = {
    "type": "object",
    "properties": {
        "error": {"type": "string"},
        "message": {"type": "string"},
        "field": {"type": "string"},
    },
    "required": ["error", "message"],
}
_ENTITY_VALUE = {
    "anyOf": [
        {"type": "integer", "minimum": _INT64[0], "maximum": _INT64[1] - 1},
        {"type": "string"},
    ]
}
_LOOKUP_SCHEMA = {
    "type": "object",
    "title": "OnlineFeaturesRequest",
    "properties": {
        "entities": {
            "type": "object",
            "description": "entity column -> key values (all columns of one length)",
            "additionalProperties": {"type": "array", "items": _ENTITY_VALUE, "minItems": 1},
            "minProperties": 1,
        },
        "features": {
            "type": "array",
            "items": {"type": "string", "pattern": "^[^:]+:[^:]+$"},
            "minItems": 1,
        },
        "full_names": {"type": "boolean", "default": False},
    },
    "required": ["entities", "features"],
    "additionalProperties": False,
}
_RESULT_SCHEMA = {
    "type": "object",
    "properties": {"results": {"type": "object", "additionalProperties": {"type": "array"}}},
    "required": ["results"],
}
_ERRORS = {
    400: "The body is not JSON or not the documented object.",
    404: "A feature view or feature is not registered.",
    413: "The body is over the server's limit.",
    415: "The Content-Type is not application/json.",
    422: "A value does not fit; 'field' names it.",
}


def _error_responses(statuses: tuple[int, ...]) -> dict[int | str, dict[str, Any]]:
    return {
        status: {
            "description": _ERRORS[status],
            "content": {_JSON: {"schema": _ERROR_SCHEMA}},
        }
        for status in statuses
    }


def create_app(fs: OnlineService, *, max_body_mb: float = DEFAULT_MAX_BODY_MB) -> Any:
    """Return the feature server app over an online service (``FeatureStore.service``).

    Args:
        fs: the online service.
        max_body_mb: largest accepted request body; larger ones get 413 unread.
    """
    if max_body_mb <= 0:
        raise InvalidInput(f"max body size must be positive, not {max_body_mb} MB")
    app = FastAPI(title="loopml feature server", docs_url="/docs", redoc_url=None)

    @app.exception_handler(LoopmlError)
    async def _error(_request: Request, err: LoopmlError) -> Response:
        return Response(dumps(err.to_dict()), err.http_status, media_type=_JSON)

    @app.exception_handler(HTTPException)
    async def _http_error(_request: Request, err: HTTPException) -> Response:
        body = {"error": type(err).__name__, "message": str(err.detail)}
        return Response(dumps(body), err.status_code, media_type=_JSON, headers=err.headers)

    @app.get("/health", responses={200: {"content": {_JSON: {"schema": {"type": "object"}}}}})
    async def health() -> Response:
        """Liveness: ``{"status": "ok"}``."""
        return Response(b'{"status":"ok"}', media_type=_JSON)

    @app.get("/views", responses={200: {"content": {_JSON: {"schema": {"type": "object"}}}}})
    def views() -> Response:
        """The registered views with their versions, entities and feature types."""
        listed = [
            {
                "name": v.name,
                "version": v.version,
                "entity": list(v.view.entity),
                "features": v.feature_types,
                "ttl_s": None if v.view.ttl is None else v.view.ttl.total_seconds(),
            }
            for v in fs.list_views()
        ]
        return Response(dumps({"views": listed}), media_type=_JSON)

    def online(request_body: bytes) -> Response:
        entities, features, full_names = parse_request(request_body)
        result = fs.get_online_features(entities, features, full_names=full_names)
        return Response(dumps({"results": result}), media_type=_JSON)

    async def lookup(request: Request) -> Response:
        """Look up the latest feature values of entities (the online store)."""
        _check_content_type(request.headers.get("content-type"))
        return online(await request.body())

    body_doc = {"requestBody": {"required": True, "content": {_JSON: {"schema": _LOOKUP_SCHEMA}}}}
    responses: dict[int | str, dict[str, Any]] = {
        200: {"description": "OK", "content": {_JSON: {"schema": _RESULT_SCHEMA}}},
        **_error_responses((400, 404, 413, 415, 422)),
    }
    for path in ("/online-features", "/get-online-features"):
        app.add_api_route(
            path, lookup, methods=["POST"], openapi_extra=body_doc, responses=responses
        )
    return BodyLimit(app, int(max_body_mb * 1024 * 1024))


class BodyLimit(_BodyLimit):
    """ASGI wrapper: a body over ``limit`` bytes gets 413 before it is read into memory."""

    def __init__(self, app: Any, limit: int) -> None:
        super().__init__(app, limit, error=self._too_large, refuse=self._refuse_with)

    async def _refuse_with(self, send: Any, size: int) -> None:
        await _send_error(send, self._too_large(size))

    def _too_large(self, size: int) -> RequestTooLarge:
        return RequestTooLarge(
            f"the request body has {size} bytes or more, over this server's limit of "
            f"{self.limit}; look up fewer entities per request or raise max_body_mb"
        )

    @property
    def routes(self) -> Any:
        """The wrapped app's routes (for introspection)."""
        return self.app.routes

    def openapi(self) -> dict[str, Any]:
        """The wrapped app's OpenAPI document."""
        document: dict[str, Any] = self.app.openapi()
        return document


async def _send_error(send: Any, err: LoopmlError) -> None:
    body = dumps(err.to_dict())
    headers = [(b"content-type", _JSON.encode()), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": err.http_status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _check_content_type(value: str | None) -> None:
    media = (value or "").split(";", 1)[0].strip().lower()
    if media and media != _JSON:
        raise UnsupportedContentType(
            f"Content-Type {media[:60]!r} is not accepted; send the lookup as application/json"
        )


def parse_request(body: bytes) -> tuple[dict[str, list[Any]], list[str], bool]:
    """Read ``{"entities": {...}, "features": [...], "full_names": bool}``.

    Raises:
        BadRequestBody: the body is not JSON, or not an object.
        LookupInvalid: a field has the wrong type or an entity key is not a valid key.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise BadRequestBody(f"the request body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise BadRequestBody('the request body must be {"entities": {...}, "features": [...]}')
    unknown = sorted(set(data) - {"entities", "features", "full_names"})
    if unknown:
        raise LookupInvalid(
            f"unknown field {unknown[0][:40]!r}; send 'entities', 'features' and optionally "
            "'full_names'",
            field=unknown[0][:40],
        )
    entities, features = data.get("entities"), data.get("features")
    if not isinstance(entities, dict) or not entities:
        raise LookupInvalid(
            '"entities" must map entity columns to lists: {"customer_id": [1, 2]}', "entities"
        )
    _check_entities(entities)
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise LookupInvalid('"features" must be a list of "view:feature" strings', "features")
    full_names = data.get("full_names", False)
    if not isinstance(full_names, bool):
        raise LookupInvalid(f'"full_names" must be true or false, not {full_names!r}', "full_names")
    return entities, features, full_names


def _check_entities(entities: dict[str, Any]) -> None:
    lengths = set()
    for column, values in entities.items():
        where = f"entities.{column[:40]}"
        if not isinstance(values, list) or not values:
            raise LookupInvalid(
                f'{where} must be a non-empty list of keys; "entities" must map entity columns '
                'to lists: {"customer_id": [1, 2]}',
                where,
            )
        lengths.add(len(values))
        for index, value in enumerate(values):
            if type(value) is str or (type(value) is int and _INT64[0] <= value < _INT64[1]):
                continue
            raise LookupInvalid(
                f"{where}[{index}] is {str(value)[:40]!r} ({type(value).__name__}); entity keys "
                "are strings or integers within int64",
                f"{where}[{index}]",
            )
    if len(lengths) > 1:
        sizes = {column[:40]: len(values) for column, values in entities.items()}
        raise LookupInvalid(
            f"entity columns differ in length: {sizes}; send one key per entity in each",
            "entities",
        )


def dumps(value: Any) -> bytes:
    """Serialise to JSON with orjson: NaN and infinities become null, datetimes RFC 3339."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def default_app() -> Any:
    """Build the app over the default client's feature store (for ``--workers`` > 1)."""
    client = _hooks.default_client()
    return create_app(client.online_features)


def serve(
    fs: OnlineService,
    host: str = "127.0.0.1",
    port: int = 6566,
    workers: int = 1,
    max_body_mb: float = DEFAULT_MAX_BODY_MB,
) -> None:
    """Run the feature server until interrupted (one process per worker)."""
    if workers > 1:
        uvicorn.run(
            "loopml.features.server:default_app",
            factory=True,
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
        )
        return
    fs.list_views()  # open the registry and fail now, not on the first request
    app = create_app(fs, max_body_mb=max_body_mb)
    uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)

"""The HTTP feature server: a thin FastAPI shell over :meth:`OnlineService.get_online_features`.

Endpoints::

    GET  /health                 {"status": "ok"}
    GET  /views                  registered views with their versions and features
    POST /online-features        {"entities": {"customer_id": [1, 2]},
                                  "features": ["activity:orders_7d"], "full_names": false}
                                 -> {"results": {"customer_id": [...], "orders_7d": [...]},
                                     "views": {"activity": 3}}
    POST /get-online-features    the same (the path Feast clients use)

Errors come back as ``{"error": ..., "message": ...}`` with the error's HTTP status. The
request body is parsed with orjson rather than a pydantic model: for a 1-entity lookup,
model validation would cost more than the lookup itself.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import Response

from loopml import _hooks
from loopml.errors import InvalidInput, LoopmlError

if TYPE_CHECKING:
    from loopml.features.service import OnlineService

logger = logging.getLogger(__name__)
_JSON = "application/json"


def create_app(fs: OnlineService) -> FastAPI:
    """Return the feature server app over an online service (``FeatureStore.service``)."""
    app = FastAPI(title="loopml feature server", docs_url="/docs", redoc_url=None)

    @app.exception_handler(LoopmlError)
    async def _error(_request: Request, err: LoopmlError) -> Response:
        return Response(dumps(err.to_dict()), err.http_status, media_type=_JSON)

    @app.get("/health")
    async def health() -> Response:
        return Response(b'{"status":"ok"}', media_type=_JSON)

    @app.get("/views")
    def views() -> Response:
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

    async def online(request: Request) -> Response:
        entities, features, full_names = parse_request(await request.body())
        result = fs.get_online_features(entities, features, full_names=full_names)
        return Response(dumps({"results": result}), media_type=_JSON)

    app.add_api_route("/online-features", online, methods=["POST"])
    app.add_api_route("/get-online-features", online, methods=["POST"])
    return app


def parse_request(body: bytes) -> tuple[dict[str, list[Any]], list[str], bool]:
    """Read ``{"entities": {...}, "features": [...], "full_names": bool}``.

    Raises:
        InvalidInput: the body is not JSON of that shape.
    """
    try:
        data = orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise InvalidInput(f"the request body is not JSON: {err}") from err
    if not isinstance(data, dict):
        raise InvalidInput('the request body must be {"entities": {...}, "features": [...]}')
    entities, features = data.get("entities"), data.get("features")
    if not isinstance(entities, dict) or not all(isinstance(v, list) for v in entities.values()):
        raise InvalidInput('"entities" must map entity columns to lists: {"customer_id": [1, 2]}')
    if not isinstance(features, list) or not all(isinstance(f, str) for f in features):
        raise InvalidInput('"features" must be a list of "view:feature" strings')
    return entities, features, bool(data.get("full_names", False))


def dumps(value: Any) -> bytes:
    """Serialise to JSON with orjson: NaN and infinities become null, datetimes RFC 3339."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)


def default_app() -> FastAPI:
    """Build the app over the default client's feature store (for ``--workers`` > 1)."""
    client = _hooks.default_client()
    return create_app(client.online_features)


def serve(fs: OnlineService, host: str = "127.0.0.1", port: int = 6566, workers: int = 1) -> None:
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
    uvicorn.run(create_app(fs), host=host, port=port, log_level="warning", access_log=False)

"""The model service: every endpoint as a transport-free handler (bytes in, :class:`Reply` out).

The route table (:mod:`loopml.serving.routes`) binds these handlers to paths; the ASGI
router (:mod:`loopml.serving.asgi`) calls them.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from loopml._utils.digits import is_digits
from loopml._version import __version__
from loopml.errors import LoopmlError
from loopml.serving import v2
from loopml.serving.errors import MalformedRequest, ModelNotServed, PredictionFailed, RequestInvalid
from loopml.store.predlog.writer import Entry, IdSource, looks_served

if TYPE_CHECKING:
    from loopml.serving.metrics import Exposition, ServingMetrics
    from loopml.serving.runtime import Routes, Served
    from loopml.serving.shadow import ShadowQueue
    from loopml.serving.validation import Validator
    from loopml.store.predlog.feedback import FeedbackResult
    from loopml.store.predlog.writer import PredictionLog

logger = logging.getLogger(__name__)

#: builds an :class:`Entry` from a tuple of its fields without the generated ``__new__``
#: (the request path makes one per answer)
_entry = functools.partial(tuple.__new__, Entry)

JSON = b"application/json"
_NUMPY = orjson.OPT_SERIALIZE_NUMPY
_SHAPES = (
    "a list of records, {'records': [...]}, {'instances': [...]}, {'inputs': [...] or "
    "{column: [...]}}, {'columns': [...], 'data': [...]} or MLflow's 'dataframe_split' / "
    "'dataframe_records'"
)


@dataclass(frozen=True, slots=True)
class Reply:
    """An HTTP answer: status, body, content type and extra headers."""

    status: int
    body: bytes = b""
    content_type: bytes = JSON
    headers: tuple[tuple[bytes, bytes], ...] = ()


@dataclass(frozen=True, slots=True)
class ServiceOptions:
    """Behaviour switches of the model service."""

    log_predictions: bool = True
    log_scores: bool = True
    max_body_bytes: int = 32 * 1024 * 1024
    routing_header: str = "x-routing-key"
    extra: dict[str, Any] = field(default_factory=dict)


class ModelService:
    """Answers prediction, V2, feedback, health and metrics requests for one deployment."""

    def __init__(
        self,
        deployment: str,
        routes: Routes,
        metrics: ServingMetrics,
        exposition: Exposition,
        *,
        predlog: PredictionLog | None = None,
        shadow: ShadowQueue | None = None,
        options: ServiceOptions | None = None,
    ) -> None:
        self.deployment = deployment
        self.routes = routes
        self.metrics = metrics
        self.exposition = exposition
        self.predlog = predlog
        self.shadow = shadow
        self.options = options or ServiceOptions()
        self.ids = IdSource()
        self.server_version = __version__
        self._log = predlog is not None and self.options.log_predictions
        self._log_scores = self.options.log_scores

    # ------------------------------------------------------------------ predictions
    async def predict(self, body: bytes, key: str | None = None) -> Reply:
        """``POST /predict``: JSON records, split columns or instances -> predictions."""
        started = time.perf_counter()
        served: Served | None = None
        try:
            data = _loads(body)
            rows = _plain_rows(data)  # {"inputs": [[...], ...]}: nothing else to read
            if rows is None:
                if key is None and isinstance(data, dict):
                    key = _key(data.get("routing_key"))
                wants_proba = _flag(data, "probabilities")
            else:
                wants_proba = False
            served = self._pick(key)
            exact = _may_hold_booleans(body)
            if rows is not None:
                x = served.validator.rows(rows, "inputs", exact=exact)
            else:
                x = decode_predict(data, served.validator, exact=exact)
            scores = served.score_now(x) or await served.score(x)
            proba = served.proba(x) if wants_proba else None
            if wants_proba and proba is None:
                raise RequestInvalid(
                    f"model {served.name} has no class probabilities; drop 'probabilities'",
                    field="probabilities",
                )
            ids = self._finish(served, x, scores.predictions, proba, started, "predict")
        except Exception as err:
            return self._failure("predict", err, served)
        out: dict[str, Any] = {
            "predictions": _jsonable(scores.predictions),
            "prediction_ids": ids,
            "model_name": served.name,
            "model_version": served.version,
            "deployment": self.deployment,
        }
        if proba is not None:
            out["probabilities"] = proba
        return Reply(200, orjson.dumps(out, option=_NUMPY))

    async def infer(
        self,
        name: str,
        version: str | None,
        body: bytes,
        header_length: int | None = None,
        key: str | None = None,
    ) -> Reply:
        """``POST /v2/models/{name}[/versions/{version}]/infer`` (Open Inference Protocol)."""
        started = time.perf_counter()
        served: Served | None = None
        try:
            head, binary = _split_binary(body, header_length)
            data = _loads(head)
            if key is None and isinstance(data, dict) and isinstance(data.get("parameters"), dict):
                key = _key(data["parameters"].get("routing_key"))
            served = self._v2_model(name, version, key)
            request = v2.decode(data, served.validator, binary, exact=_may_hold_booleans(head))
            scores = served.score_now(request.x) or await served.score(request.x)
            wanted = request.outputs or ("predict", "prediction_id")
            proba = served.proba(request.x) if "predict_proba" in wanted else None
            if "predict_proba" in wanted and proba is None:
                raise RequestInvalid(
                    f"model {served.name} has no class probabilities; ask for 'predict'",
                    field="outputs",
                )
            ids = self._finish(served, request.x, scores.predictions, proba, started, "v2_infer")
            tensors = {
                "predict": scores.predictions,
                "predict_proba": proba,
                "prediction_id": np.array(ids, dtype=object),
            }
            out, length = v2.encode(
                served.name,
                served.version,
                request.id or ids[0],
                [(n, tensors[n]) for n in wanted],  # type: ignore[misc]
                request.binary,
            )
        except Exception as err:
            return self._failure("v2_infer", err, served, v2_style=True)
        if length is None:
            return Reply(200, out)
        header = ((b"inference-header-content-length", str(length).encode()),)
        return Reply(200, out, b"application/octet-stream", header)

    def _finish(
        self,
        served: Served,
        x: np.ndarray,
        predictions: np.ndarray,
        proba: np.ndarray | None,
        started: float,
        endpoint: str,
    ) -> list[str]:
        ids = self.ids.take(len(x))
        seconds = time.perf_counter() - started
        now_ms = int(time.time() * 1000)
        if self._log:
            assert self.predlog is not None
            scorer = served.proba if self._log_scores and proba is None else None
            self.predlog.record(
                _entry(
                    (
                        ids,
                        now_ms,
                        served.name,
                        served.version,
                        seconds * 1000.0,
                        x,
                        predictions,
                        proba,
                        False,
                        served.columns,
                        served.kinds,
                        scorer,
                    )
                )
            )
        if self.shadow is not None:
            self.shadow.add(ids, now_ms, x, served.columns)
        self.metrics.ok(served.answer_labels[endpoint], seconds)
        return ids

    def _pick(self, key: str | None) -> Served:
        served = self.routes.pick(key)
        if served is None:
            raise ModelNotServed(f"deployment {self.deployment!r} has no model loaded yet")
        return served

    def _v2_model(self, name: str, version: str | None, key: str | None) -> Served:
        primary = self.routes.primary.current
        canary = self.routes.canary.current if self.routes.canary else None
        if version is not None:
            if not is_digits(version) or len(version) > 18:
                raise ModelNotServed(f"model version {version[:40]!r} is not a number")
            found = self.routes.by_version(name, int(version))
            if found is None:
                raise ModelNotServed(
                    f"model {name!r} version {version} is not loaded here; loaded: {self._loaded()}"
                )
            return found
        if name == self.deployment or (primary is not None and name == primary.name):
            return self._pick(key)
        if canary is not None and name == canary.name:
            return canary
        raise ModelNotServed(f"no model {name!r} is served here; served: {self._loaded()}")

    def _loaded(self) -> str:
        served = [r.current for r in self.routes.all() if r.role != "shadow" and r.current]
        return ", ".join(f"{s.name}/{s.version} ({s.role})" for s in served) or "none"

    def _failure(
        self, endpoint: str, err: Exception, served: Served | None, v2_style: bool = False
    ) -> Reply:
        if not isinstance(err, LoopmlError):
            logger.exception("unexpected error on %s", endpoint)
            err = PredictionFailed(f"internal error: {type(err).__name__}: {err}")
        status = err.http_status
        self.metrics.error(endpoint, type(err).__name__)
        name, label = (served.name, served.label) if served is not None else ("", "")
        self.metrics.request(endpoint, name, label, status, None)
        body = {"error": err.message} if v2_style else err.to_dict()
        return Reply(status, orjson.dumps(body))

    # ------------------------------------------------------------------ feedback
    async def feedback(self, body: bytes) -> Reply:
        """``POST /feedback``: ground-truth labels for predictions this deployment made.

        Labels are written before the answer (200 means stored). An id this deployment
        never logged gets 404; a label always belongs to this server's deployment.
        """
        try:
            rows = decode_feedback(_loads(body), self.deployment)
            if self.predlog is None:
                raise ModelNotServed("this server has no store to keep feedback in")
            result = await asyncio.to_thread(self._store_feedback, self.predlog, rows)
        except Exception as err:
            return self._failure("feedback", err, None)
        self.metrics.feedback_rows += result.written
        self.metrics.request("feedback", "", "", 200, None)
        return Reply(200, orjson.dumps({"accepted": result.written}))

    def _store_feedback(self, predlog: PredictionLog, rows: list[dict[str, Any]]) -> FeedbackResult:
        # pyarrow and the feedback contract load on the first feedback, not at start-up
        from loopml.store.predlog.feedback import UnknownPredictions, log_feedback_rows

        predlog.flush()  # this process' own predictions become readable first
        log = predlog.event_log()
        try:
            return log_feedback_rows(log, rows, deployment=self.deployment)
        except UnknownPredictions as err:
            # another worker of this deployment may still hold the prediction in memory:
            # wait for its next flush once, but only for ids another server could have made
            own = self.ids.prefix
            foreign = [
                r["prediction_id"]
                for r in rows
                if looks_served(r["prediction_id"]) and not r["prediction_id"].startswith(own)
            ]
            if not foreign:
                raise
            logger.debug(
                "feedback for unknown ids %s; waiting one flush", foreign[:3], exc_info=err
            )
            time.sleep(predlog.flush_interval * 1.5)
            return log_feedback_rows(log, rows, deployment=self.deployment)

    # ------------------------------------------------------------------ health, metadata
    def live(self) -> Reply:
        """``GET /v2/health/live``: 200, empty body."""
        return Reply(200)

    def ready(self) -> Reply:
        """``GET /v2/health/ready``: 200 when every route has a version, else 400."""
        return Reply(200 if self.routes.ready else 400)

    def server_metadata(self) -> Reply:
        """``GET /v2``: server name, version and extensions."""
        body = {
            "name": "loopml",
            "version": self.server_version,
            "extensions": ["binary_tensor_data"],
        }
        return Reply(200, orjson.dumps(body))

    def model_ready(self, name: str, version: str | None) -> Reply:
        """``GET /v2/models/{name}[/versions/{v}]/ready``."""
        try:
            self._v2_model(name, version, None)
        except LoopmlError as err:
            return Reply(err.http_status, orjson.dumps({"error": err.message}))
        return Reply(200)

    def model_metadata(self, name: str, version: str | None) -> Reply:
        """``GET /v2/models/{name}[/versions/{v}]``: inputs, outputs, versions, platform."""
        try:
            served = self._v2_model(name, version, None)
        except LoopmlError as err:
            return Reply(err.http_status, orjson.dumps({"error": err.message}))
        versions = sorted(
            {str(r.current.version) for r in self.routes.all()
             if r.current is not None and r.current.name == served.name and r.role != "shadow"}
        )  # fmt: skip
        body = {
            "name": served.name,
            "versions": versions,
            "platform": f"loopml_{getattr(served.model, 'flavor', 'model')}",
            "inputs": v2.signature_tensors(served.validator),
            "outputs": output_tensors(served),
        }
        return Reply(200, orjson.dumps(body))

    def info(self) -> Reply:
        """``GET /``: the deployment, its routes and the versions they serve."""
        routes = []
        for route in self.routes.all():
            current = route.current
            routes.append(
                {
                    "role": route.role,
                    "target": str(route.target),
                    "percent": route.percent if route.role == "canary" else None,
                    "model_name": current.name if current else None,
                    "model_version": current.version if current else None,
                    "columns": list(current.columns) if current else None,
                }
            )
        body = {"deployment": self.deployment, "server": "loopml", "version": self.server_version}
        body["routes"] = routes  # type: ignore[assignment]
        return Reply(200, orjson.dumps(body))

    def openapi_reply(self, document: dict[str, Any]) -> Reply:
        """``GET /openapi.json``: the OpenAPI document."""
        return Reply(200, orjson.dumps(document))

    def html_reply(self, page: str) -> Reply:
        """An HTML page (``GET /docs``)."""
        return Reply(200, page.encode(), b"text/html; charset=utf-8")

    def metrics_text(self) -> Reply:
        """``GET /metrics``: Prometheus text exposition."""
        body, content_type = self.exposition.render()
        return Reply(200, body, content_type.encode())


def output_tensors(served: Served) -> list[dict[str, Any]]:
    """Describe the V2 outputs of a served model."""
    signature = served.model.signature
    declared = list(signature.outputs) if signature is not None else []
    datatype = v2.datatype_of_dtype(declared[0].dtype) if len(declared) == 1 else "FP64"
    outputs = [
        {"name": "predict", "datatype": datatype, "shape": [-1]},
        {"name": "prediction_id", "datatype": "BYTES", "shape": [-1]},
    ]
    if hasattr(served.model, "predict_proba_array"):
        outputs.insert(1, {"name": "predict_proba", "datatype": "FP64", "shape": [-1, -1]})
    return outputs


_FEEDBACK_FIELDS = ("prediction_id", "label", "time", "deployment")
_FEEDBACK_SHAPE = (
    "feedback must be an object {'prediction_id': ..., 'label': ...}, a list of them, or "
    "{'feedback': [...]}"
)


def decode_feedback(data: Any, deployment: str) -> list[dict[str, Any]]:
    """Check a ``/feedback`` body and return its rows, attributed to ``deployment``.

    Raises:
        MalformedRequest: the body is not one of the accepted shapes.
        RequestInvalid: a row has an unknown field or names another deployment.
    """
    rows = data.get("feedback", [data]) if isinstance(data, dict) else data
    if not isinstance(rows, list) or not rows:
        raise MalformedRequest(_FEEDBACK_SHAPE)
    out = []
    for index, row in enumerate(rows):
        if not isinstance(row, dict):
            raise RequestInvalid(
                f"{_FEEDBACK_SHAPE}; row {index} is not an object", field=f"[{index}]"
            )
        extra = sorted(set(row) - set(_FEEDBACK_FIELDS))
        if extra:
            raise RequestInvalid(
                f"feedback row {index} has unknown field {extra[0]!r}; use "
                f"{list(_FEEDBACK_FIELDS)}",
                field=f"[{index}].{extra[0]}",
            )
        claimed = row.get("deployment")
        if claimed is not None and claimed != deployment:
            raise RequestInvalid(
                f"feedback row {index} names deployment {claimed!r}, but this server is "
                f"{deployment!r}; labels belong to the deployment that made the prediction: "
                "drop 'deployment' or send the label to that deployment's server",
                field=f"[{index}].deployment",
            )
        out.append({**row, "deployment": deployment})
    return out


def decode_predict(data: Any, validator: Validator, *, exact: bool = False) -> np.ndarray:
    """Turn a ``/predict`` body into the model input (see the accepted shapes in docs).

    ``exact`` checks every value one by one (needed when the body may hold booleans).
    """
    if isinstance(data, list):
        return _rows_or_records(data, validator, "body", exact)
    if not isinstance(data, dict):
        raise MalformedRequest(f"the body must be {_SHAPES}")
    for key in ("records", "dataframe_records"):
        if key in data:
            return validator.records(data[key], key, exact=exact)
    if "instances" in data:
        return _rows_or_records(data["instances"], validator, "instances", exact)
    if "inputs" in data:
        inputs = data["inputs"]
        if isinstance(inputs, dict):
            return validator.column_arrays(inputs, "inputs")
        return _rows_or_records(inputs, validator, "inputs", exact)
    split = data.get("dataframe_split", data)
    if isinstance(split, dict) and "columns" in split and "data" in split:
        return validator.split(split["columns"], split["data"], exact=exact)
    raise MalformedRequest(f"the body must be {_SHAPES}; got keys {sorted(data)[:8]}")


def _plain_rows(data: Any) -> list[Any] | None:
    """The rows of a body that is exactly ``{"inputs": [[...], ...]}``, else ``None``.

    The common request, read without walking the other accepted shapes.
    """
    if type(data) is dict and len(data) == 1:
        rows = data.get("inputs")
        if type(rows) is list and rows and type(rows[0]) is list:
            return rows
    return None


def _rows_or_records(value: Any, validator: Validator, what: str, exact: bool) -> np.ndarray:
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return validator.records(value, what, exact=exact)
    return validator.rows(value, what, exact=exact)


def _may_hold_booleans(body: bytes) -> bool:
    # numpy reads [true, 1.5] as [1.0, 1.5]; a body without these words cannot hold a bool
    return b"true" in body or b"false" in body


def _flag(data: Any, name: str) -> bool:
    value = data.get(name, False) if isinstance(data, dict) else False
    if not isinstance(value, bool):
        raise RequestInvalid(f"{name!r} must be true or false, not {_show(value)}", field=name)
    return value


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _loads(body: bytes) -> Any:
    if not body:
        raise MalformedRequest("the request body is empty; send a JSON document")
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as err:
        raise MalformedRequest(f"the body is not valid JSON: {err}") from None


def _split_binary(body: bytes, header_length: int | None) -> tuple[bytes, bytes]:
    if header_length is None:
        return body, b""
    if header_length < 0 or header_length > len(body):
        raise MalformedRequest(
            f"Inference-Header-Content-Length is {header_length} but the body has {len(body)} bytes"
        )
    return body[:header_length], body[header_length:]


def _key(value: Any) -> str | None:
    return None if value is None else str(value)


def _jsonable(predictions: np.ndarray) -> Any:
    return predictions if predictions.dtype.kind in "biuf" else predictions.tolist()

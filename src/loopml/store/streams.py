"""The event streams serving writes and monitoring reads: names and column contracts.

Both sides import this module (it sits in the store layer), so neither imports the other.

Prediction log, stream ``predictions/<deployment>`` (one row per scored row):

=================  ==========================================================
``time``           timestamp[ms, UTC] when the prediction was made
``prediction_id``  string, unique; what callers send back with feedback
``deployment``     string, the deployment (by default the model name)
``model_name``     string
``model_version``  int64, the version that answered
``latency_ms``     float64, time spent answering the request
``inputs``         struct with one field per input column, as validated
``prediction``     float64 or string, the returned output
``score``          float64 or null, positive-class probability (binary classifiers)
``shadow``         bool, true for rows scored by a shadow model (never returned)
=================  ==========================================================

Feedback (ground truth that arrives later), stream ``feedback``:

=================  ==========================================================
``time``           timestamp[ms, UTC] when the label was recorded
``prediction_id``  string, the prediction the label belongs to
``label``          float64 or string, the true outcome
``deployment``     string or null
=================  ==========================================================

When a prediction id has several labels, the latest ``time`` wins.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from loopml._utils.clock import now_ms
from loopml.errors import InvalidInput
from loopml.store.events import TIME_TYPE

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from loopml.store.events import EventLog

PREDICTIONS_PREFIX = "predictions"
FEEDBACK_STREAM = "feedback"
PREDICTION_COLUMNS = (
    "time",
    "prediction_id",
    "deployment",
    "model_name",
    "model_version",
    "latency_ms",
    "inputs",
    "prediction",
    "score",
    "shadow",
)
#: The prediction log's columns without the inputs (what joins and lineage answers carry).
PREDICTION_COLUMNS_NO_INPUTS = tuple(c for c in PREDICTION_COLUMNS if c != "inputs")
FEEDBACK_COLUMNS = ("time", "prediction_id", "label", "deployment")


def predictions_stream(deployment: str) -> str:
    """Return the stream name of a deployment's prediction log."""
    return f"{PREDICTIONS_PREFIX}/{deployment}"


def feedback_table(rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Validate feedback rows and return them as a table in the feedback contract.

    Each row needs ``prediction_id`` and ``label``; ``time`` (datetime or epoch ms) and
    ``deployment`` are optional.

    Raises:
        InvalidInput: a row lacks a prediction id or a label, or labels mix numbers and text.
    """
    times, ids, labels, deployments = [], [], [], []
    default_time = now_ms()
    for index, row in enumerate(rows):
        prediction_id = row.get("prediction_id")
        if not isinstance(prediction_id, str) or not prediction_id:
            raise InvalidInput(f"feedback row {index} needs a non-empty 'prediction_id' string")
        label = row.get("label")
        if label is None or (isinstance(label, float) and label != label):
            raise InvalidInput(f"feedback row {index} ({prediction_id}) needs a 'label'")
        if not isinstance(label, str | int | float):
            raise InvalidInput(
                f"feedback row {index} ({prediction_id}): 'label' must be a number or a string, "
                f"not {type(label).__name__}"
            )
        ids.append(prediction_id)
        labels.append(label)
        times.append(_ms(row.get("time"), default_time))
        deployments.append(row.get("deployment"))
    return pa.table(
        {
            "time": pa.array(times, type=pa.int64()).cast(TIME_TYPE),
            "prediction_id": pa.array(ids, type=pa.string()),
            "label": _labels(labels),
            "deployment": pa.array(deployments, type=pa.string()),
        }
    )


def append_feedback(log: EventLog, rows: Iterable[Mapping[str, Any]]) -> int:
    """Validate and append feedback rows to the ``feedback`` stream; return how many."""
    table = feedback_table(rows)
    if table.num_rows:
        log.append(FEEDBACK_STREAM, table)
    return int(table.num_rows)


def _labels(labels: list[Any]) -> pa.Array:
    if all(isinstance(v, bool | int | float) for v in labels):
        try:
            numbers = [float(v) for v in labels]
        except OverflowError:
            raise InvalidInput("a feedback 'label' is too large for a float64") from None
        return pa.array(numbers, type=pa.float64())
    if all(isinstance(v, str) for v in labels):
        return pa.array(labels, type=pa.string())
    raise InvalidInput("feedback labels must be all numbers or all strings in one call")


_LATEST_MS = 253_402_300_800_000  # 10000-01-01: the end of what a datetime can hold


def _ms(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            raise InvalidInput(
                f"feedback time {value[:40]!r} is not an ISO timestamp ('2026-11-23T10:00:00Z')"
            ) from None
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return int(moment.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        if not 0 <= value < _LATEST_MS:  # also refuses NaN
            raise InvalidInput(
                f"feedback time {value!r} is out of range; give epoch milliseconds between "
                f"0 and {_LATEST_MS}"
            )
        return int(value)
    raise InvalidInput(
        f"feedback time must be a datetime, ISO text or epoch milliseconds, not {value!r}"
    )

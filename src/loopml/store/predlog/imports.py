"""Predictions made outside a model server (a batch job, another platform) into the log.

The rows land in the deployment's prediction log exactly as a server would write them, so
monitors, feedback, performance and lineage treat them alike.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from loopml.errors import InvalidInput
from loopml.store.streams import predictions_stream

if TYPE_CHECKING:
    import pandas as pd

    from loopml.store.events import EventLog


def log_predictions(
    log: EventLog,
    deployment: str,
    data: pd.DataFrame,
    *,
    prediction: str = "prediction",
    score: str | None = None,
    time: str | None = None,
    prediction_id: str | None = None,
    model_name: str | None = None,
    model_version: int | None = None,
) -> list[str]:
    """Append rows of ``data`` to ``deployment``'s prediction log; return their ids.

    Every column not named by an argument is an input feature.

    Raises:
        InvalidInput: a named column is missing, or ``data`` has no rows or no inputs.
    """
    named = [c for c in (prediction, score, time, prediction_id) if c is not None]
    missing = [c for c in named if c not in data.columns]
    if missing:
        raise InvalidInput(
            f"log_predictions: column(s) {missing} not in the data; columns: {list(data.columns)}"
        )
    inputs = data.drop(columns=named)
    if len(data) == 0 or inputs.shape[1] == 0:
        raise InvalidInput("log_predictions needs at least one row and one input column")
    n = len(data)
    ids = (
        data[prediction_id].astype(str).tolist()
        if prediction_id is not None
        else [uuid.uuid4().hex for _ in range(n)]
    )
    now = dt.datetime.now(dt.UTC)
    times = data[time].tolist() if time is not None else [now] * n
    table = pa.table(
        {
            "time": pa.array(times, pa.timestamp("ms", tz="UTC")),
            "prediction_id": ids,
            "deployment": [deployment] * n,
            "model_name": [model_name or deployment] * n,
            "model_version": pa.array([model_version] * n, pa.int64()),
            "latency_ms": pa.array([None] * n, pa.float64()),
            "inputs": _records(inputs),
            "prediction": _column(data[prediction]),
            "score": pa.array(data[score].astype(float).tolist(), pa.float64())
            if score is not None
            else pa.array([None] * n, pa.float64()),
            "shadow": [False] * n,
        }
    )
    log.append(predictions_stream(deployment), table)
    return ids


def _records(inputs: pd.DataFrame) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = inputs.to_dict("records")
    return records


def _column(values: pd.Series) -> pa.Array:
    if values.dtype.kind in "biuf":
        return pa.array(values.astype(float).tolist(), pa.float64())
    return pa.array(values.astype(str).tolist(), pa.string())

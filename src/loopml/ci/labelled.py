"""Labelled predictions: the prediction log of a deployment joined to its feedback labels.

This is what gates judge on ("the most recent labelled window") and what the loop's
training data helper turns into a dataset version. The latest label per prediction id
wins (the feedback stream's rule).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from loopml.store.predlog.reading import read_predictions

if TYPE_CHECKING:
    import datetime as dt

    from loopml.store.events import EventLog

#: prediction-log fields that are not model inputs
LOG_FIELDS = (
    "time", "prediction_id", "deployment", "model_name", "model_version", "latency_ms",
    "prediction", "score", "shadow", "label_time",
)  # fmt: skip


def labelled_predictions(
    log: EventLog,
    deployment: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    last_n: int | None = None,
) -> pd.DataFrame:
    """Served (non-shadow) predictions of ``deployment`` that have a label, oldest first.

    Reads through the prediction log's owner (:mod:`loopml.store.predlog.reading`), so the
    one "latest label wins" rule applies.

    Args:
        log: the event log.
        deployment: the deployment whose prediction log is read.
        since: earliest prediction time (default: the beginning).
        until: latest prediction time (default: now).
        last_n: keep only the newest ``n`` labelled rows.

    Returns:
        One row per labelled prediction: the input columns, the log fields and ``label``.
    """
    frame = read_predictions(log, deployment, since, until, shadow=False, with_feedback=True)
    if len(frame) == 0 or "label" not in frame.columns:
        return pd.DataFrame({"prediction_id": pd.Series(dtype=object), "label": []})
    joined = frame[frame["label"].notna()]
    if last_n is not None:
        joined = joined.tail(last_n)
    return joined.reset_index(drop=True)


def input_columns(frame: pd.DataFrame) -> list[str]:
    """The model-input columns of a labelled-predictions frame."""
    return [c for c in frame.columns if c not in LOG_FIELDS and c != "label"]


def evaluation_frame(frame: pd.DataFrame, columns: list[str] | None = None) -> pd.DataFrame:
    """Input columns (``columns``, default all) plus ``label``: what gates score on."""
    keep = columns or input_columns(frame)
    return frame[[*keep, "label"]].reset_index(drop=True)

"""Ground-truth feedback: log labels for served predictions and join them to the log.

Labels go to the ``feedback`` event stream (see :mod:`loopml.store.streams`). When a
prediction id gets several labels, the one with the latest ``time`` wins (ties: the one
logged last). Labels for prediction ids that are not in the prediction log are refused by
default (``on_unknown="error"``), or skipped, or kept for predictions that are logged later.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml.errors import ArtifactNotFound, InvalidInput, NotFound
from loopml.monitoring import frames
from loopml.store.events import TIME_TYPE
from loopml.store.streams import (
    FEEDBACK_STREAM,
    PREDICTIONS_PREFIX,
    append_feedback,
    feedback_table,
    predictions_stream,
)

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Iterable, Mapping

    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)
OnUnknown = Literal["error", "skip", "keep"]


class UnknownPredictions(NotFound):
    """Feedback names prediction ids that are not in the prediction log."""


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    """What happened to a batch of feedback: rows written and ids skipped as unknown."""

    written: int
    unknown: tuple[str, ...] = ()


def list_deployments(log: EventLog) -> list[str]:
    """Return the deployments that have a prediction log."""
    prefix = f"{log.prefix}/{PREDICTIONS_PREFIX}/"
    found = set()
    for key in log.backend.list(prefix):
        found.add(key[len(prefix) :].split("/date=", 1)[0])
    return sorted(found)


def prediction_owners(log: EventLog, ids: Iterable[str], deployment: str | None) -> dict[str, str]:
    """Map each known prediction id to its deployment.

    Reads only the id column, newest files first, and stops as soon as every id is found,
    so labels for recent predictions cost a few small reads however long the log is.
    """
    wanted = pa.array(sorted(set(ids)), type=pa.string())
    owners: dict[str, str] = {}
    for name in [deployment] if deployment else list_deployments(log):
        for key in sorted(log.keys(predictions_stream(name)), reverse=True):  # newest first
            found = _ids_in(log, key, wanted)
            for pid in found:
                owners.setdefault(pid, name)
            if len(owners) == len(wanted):
                return owners
    return owners


def _ids_in(log: EventLog, key: str, wanted: pa.Array) -> list[str]:
    path = log.backend.local_path(key)
    try:
        source: Any = str(path) if path is not None else io.BytesIO(log.backend.get_bytes(key))
        table = pq.read_table(source, columns=["prediction_id"])
    except (FileNotFoundError, ArtifactNotFound):  # compacted between listing and reading
        return []
    column = table["prediction_id"]
    return [str(v) for v in column.filter(pc.is_in(column, value_set=wanted)).to_pylist()]


def log_feedback_rows(
    log: EventLog,
    rows: Iterable[Mapping[str, Any]],
    *,
    deployment: str | None = None,
    on_unknown: OnUnknown = "error",
) -> FeedbackResult:
    """Validate labels, resolve their deployments and append them to the feedback stream.

    Raises:
        InvalidInput: a row is malformed, or ``on_unknown`` is not error/skip/keep.
        UnknownPredictions: some ids are not in the prediction log and ``on_unknown="error"``.
    """
    if on_unknown not in ("error", "skip", "keep"):
        raise InvalidInput(f"on_unknown must be 'error', 'skip' or 'keep', not {on_unknown!r}")
    table = feedback_table(rows)  # validates every row before anything is written
    if table.num_rows == 0:
        return FeedbackResult(0)
    records = table.to_pylist()
    ids = [r["prediction_id"] for r in records]
    if on_unknown == "keep" and (deployment or _single(records)):
        # no lookup needed: every label is kept and its deployment is known
        target = deployment or _single(records)
        for r in records:
            r["deployment"] = r["deployment"] or target
        return FeedbackResult(append_feedback(log, records))
    owners = prediction_owners(log, ids, deployment or _single(records))
    unknown = tuple(dict.fromkeys(i for i in ids if i not in owners))
    if unknown and on_unknown == "error":
        where = f"deployment {deployment!r}" if deployment else "any prediction log"
        raise UnknownPredictions(
            f"{len(unknown)} prediction id(s) are not in {where}, for example {list(unknown[:5])}; "
            "check the ids, or pass on_unknown='skip' (drop them) or 'keep' (store them for "
            "predictions logged later)"
        )
    keep = [r for r in records if on_unknown == "keep" or r["prediction_id"] in owners]
    for r in keep:
        r["deployment"] = r["deployment"] or owners.get(r["prediction_id"], deployment)
    written = append_feedback(log, keep)
    skipped = unknown if on_unknown == "skip" else ()
    if skipped:
        logger.warning("skipped feedback for %d unknown prediction id(s)", len(skipped))
    return FeedbackResult(written, skipped)


def _single(records: list[dict[str, Any]]) -> str | None:
    names = {r.get("deployment") for r in records}
    return next(iter(names)) if len(names) == 1 else None


def rows_from_data(data: Any) -> list[dict[str, Any]]:
    """Turn a DataFrame, Arrow table or parquet/CSV path of feedback into row mappings.

    Raises:
        InvalidInput: the data lacks a ``prediction_id`` or ``label`` column.
    """
    frame = frames.to_frame(data)
    missing = [c for c in ("prediction_id", "label") if c not in frame.columns]
    if missing:
        raise InvalidInput(
            f"feedback data needs columns 'prediction_id' and 'label'; missing {missing}, "
            f"got {[str(c) for c in frame.columns]}"
        )
    keep = [c for c in ("prediction_id", "label", "time", "deployment") if c in frame.columns]
    frame = frame[keep].astype(object).where(frame[keep].notna(), None)
    rows: list[dict[str, Any]] = frame.to_dict("records")
    for row in rows:
        if isinstance(row.get("time"), pd.Timestamp):
            row["time"] = row["time"].to_pydatetime()
        if row.get("prediction_id") is not None:
            row["prediction_id"] = str(row["prediction_id"])
    return rows


def read_feedback(log: EventLog, since: dt.datetime | None) -> pa.Table:
    """Read the feedback stream since ``since``, in logged order.

    Deployments may label with numbers or text; when both occur, labels are read as text.
    """
    tables = []
    for key in log.keys(FEEDBACK_STREAM, since):
        try:
            tables.append(pq.read_table(io.BytesIO(log.backend.get_bytes(key))))
        except (FileNotFoundError, ArtifactNotFound):  # compacted between listing and reading
            continue
    if not tables:
        return pa.table({"time": pa.array([], type=TIME_TYPE)})
    if len({str(t.schema.field("label").type) for t in tables}) > 1:
        tables = [_label_as_text(t) for t in tables]
    table = pa.concat_tables(tables, promote_options="default")
    if since is not None:
        table = table.filter(pc.greater_equal(table["time"], pa.scalar(since, type=TIME_TYPE)))
    return table


def _label_as_text(table: pa.Table) -> pa.Table:
    index = table.column_names.index("label")
    return table.set_column(index, "label", table["label"].cast(pa.string()))


def latest_feedback(
    log: EventLog, since: dt.datetime | None, deployment: str | None
) -> pd.DataFrame:
    """Return the latest label per prediction id recorded since ``since``."""
    table = read_feedback(log, since)
    if table.num_rows == 0 or "label" not in table.column_names:
        return pd.DataFrame({"prediction_id": [], "label": [], "label_time": []})
    frame = table.to_pandas()
    if deployment is not None and "deployment" in frame.columns:
        frame = frame[frame["deployment"].isna() | (frame["deployment"] == deployment)]
    frame = frame.sort_values("time", kind="stable").drop_duplicates("prediction_id", keep="last")
    return frame.rename(columns={"time": "label_time"})[["prediction_id", "label", "label_time"]]


def join_labels(predictions: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Inner-join predictions with their latest labels on ``prediction_id``."""
    if len(predictions) == 0 or len(feedback) == 0:
        return predictions.iloc[0:0].assign(label=pd.Series(dtype=object))
    return predictions.merge(feedback, on="prediction_id", how="inner")

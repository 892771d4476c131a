"""Ground-truth feedback: validate labels, find the predictions they belong to, append them.

Labels go to the ``feedback`` event stream (see :mod:`loopml.store.streams`). A label is
attributed to the deployment that logged its prediction, never to one the caller names.
Labels for prediction ids that are not in the prediction log are refused by default
(``on_unknown="error"``), or skipped, or kept for predictions that are logged later.
Which label counts when an id has several is decided in one place:
:func:`loopml.store.predlog.reading.latest_labels`.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml.errors import ArtifactNotFound, InvalidInput, NotFound
from loopml.store.streams import (
    PREDICTIONS_PREFIX,
    append_feedback,
    feedback_table,
    predictions_stream,
)

if TYPE_CHECKING:
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
        owner = owners.get(r["prediction_id"])
        if owner is not None and r["deployment"] not in (None, owner):
            raise InvalidInput(
                f"prediction {r['prediction_id']!r} was logged by deployment {owner!r}, not "
                f"{r['deployment']!r}; drop 'deployment' from the row (labels follow their "
                "prediction)"
            )
        r["deployment"] = owner or r["deployment"] or deployment
    written = append_feedback(log, keep)
    skipped = unknown if on_unknown == "skip" else ()
    if skipped:
        logger.warning("skipped feedback for %d unknown prediction id(s)", len(skipped))
    return FeedbackResult(written, skipped)


def _single(records: list[dict[str, Any]]) -> str | None:
    names = {r.get("deployment") for r in records}
    return next(iter(names)) if len(names) == 1 else None


def rows_from_frame(frame: Any) -> list[dict[str, Any]]:
    """Turn a pandas DataFrame of feedback into row mappings for :func:`log_feedback_rows`.

    Raises:
        InvalidInput: the data lacks a ``prediction_id`` or ``label`` column.
    """
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
        moment = row.get("time")
        if moment is not None and hasattr(moment, "to_pydatetime"):
            row["time"] = moment.to_pydatetime()
        if row.get("prediction_id") is not None:
            row["prediction_id"] = str(row["prediction_id"])
    return rows

"""Build a retraining set from the prediction log joined to feedback labels.

The labelled predictions of a window become a dataset version (inputs plus the label),
with lineage to the prediction window it came from (``derived_from`` a
``prediction_window`` node) and, optionally, the rows of a base dataset version and
point-in-time features. The newest share of rows is held out as a second version: the
gates judge challenger and champion on it, never on rows the challenger trained on.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

import pandas as pd

from loopml.ci import labelled as lab
from loopml.ci.verdicts import too_few_labels
from loopml.errors import InvalidInput
from loopml.store.lineage import Node

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from loopml.data import Datasets, DatasetVersion
    from loopml.loop.definition import TrainingData
    from loopml.store.events import EventLog


class FeatureSource(Protocol):
    """What point-in-time features need (``lm.FeatureStore`` is one)."""

    def get_historical_features(
        self, spine: pd.DataFrame, features: Sequence[str], *, timestamp: str = ...
    ) -> pd.DataFrame:
        """Join features onto ``spine`` as of each row's time."""
        ...


class LazyFeatures:
    """A feature source opened on first use (so loops without features never open one)."""

    def __init__(self, open_source: Callable[[], FeatureSource]) -> None:
        self._open = open_source

    def get_historical_features(
        self, spine: pd.DataFrame, features: Sequence[str], *, timestamp: str = "event_timestamp"
    ) -> pd.DataFrame:
        """Join features onto ``spine`` as of each row's time."""
        return self._open().get_historical_features(spine, features, timestamp=timestamp)


class NotEnoughLabels(Exception):
    """Fewer labelled predictions than the training spec needs (the message says how many)."""


@dataclass(frozen=True, slots=True)
class TrainingSet:
    """What :func:`build_training_set` stored."""

    train: DatasetVersion
    holdout: DatasetVersion
    labelled: int
    window_start: dt.datetime
    window_end: dt.datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready facts."""
        return {
            "train": self.train.ref,
            "holdout": self.holdout.ref,
            "labelled": self.labelled,
            "window_start": self.window_start.isoformat(),
            "window_end": self.window_end.isoformat(),
        }


def window_node(deployment: str, start: dt.datetime, end: dt.datetime) -> Node:
    """The lineage node of a deployment's prediction window."""
    ms = (int(start.timestamp() * 1000), int(end.timestamp() * 1000))
    return Node("prediction_window", f"{deployment}@{ms[0]}-{ms[1]}")


def build_training_set(
    log: EventLog,
    datasets: Datasets,
    deployment: str,
    spec: TrainingData,
    dataset: str,
    *,
    now: dt.datetime | None = None,
    columns: Sequence[str] | None = None,
    features: FeatureSource | None = None,
    run_id: str | None = None,
    since: dt.datetime | None = None,
) -> TrainingSet:
    """Log the labelled predictions of the window as ``dataset`` (train) and its holdout.

    Args:
        log: the event log with the prediction log and feedback.
        datasets: the datasets API the versions are logged with.
        deployment: whose predictions.
        spec: window, holdout share, minimum labels, base dataset, label name, features.
        dataset: the dataset name (the holdout is ``<dataset>-holdout``).
        now: the end of the window (default: now).
        columns: the input columns to keep (default: every logged input).
        features: the feature store for ``spec.features``.
        run_id: a tracking run to link as having produced the versions.
        since: start the window here instead of ``spec.window`` before ``now``.

    Raises:
        NotEnoughLabels: fewer labelled predictions than ``spec.min_labels``.
    """
    end = now or dt.datetime.now(dt.UTC)
    start = since or end - spec.span
    rows = lab.labelled_predictions(log, deployment, start, end)
    blocked = too_few_labels(len(rows), spec.min_labels)
    if blocked:
        raise NotEnoughLabels(
            f"cannot retrain {deployment!r} on {start:%Y-%m-%d %H:%M}..{end:%H:%M}: {blocked}"
        )
    keep = list(columns) if columns else lab.input_columns(rows)
    frame = rows[[*keep, "label"]]
    if spec.features:
        if features is None:
            raise InvalidInput(
                f"the training spec asks for point-in-time features {list(spec.features)} "
                "but no feature store was handed over; pass features= (lm.FeatureStore())"
            )
        frame = _with_features(rows, frame, spec, features)
    frame = frame.rename(columns={"label": spec.label})
    cut = round(len(frame) * (1 - spec.holdout))
    train, holdout = frame.iloc[:cut], frame.iloc[cut:]
    source = window_node(deployment, start, end)
    meta = {"deployment": deployment, "window_start": start.isoformat(),
            "window_end": end.isoformat(), "labelled": len(frame)}  # fmt: skip
    upstream: list[Any] = [source]
    if spec.base:
        base = datasets.get_version(*_split_ref(spec.base))
        train = pd.concat([datasets.load_dataset(base)[list(train.columns)], train])
        upstream.append(base)
    kept = datasets.log_dataset(
        train.reset_index(drop=True), dataset, metadata={**meta, "part": "train"},
        derived_from=upstream, run_id=run_id, relation="produced",
        description=f"labelled predictions of {deployment} for retraining",
    )  # fmt: skip
    held = datasets.log_dataset(
        holdout.reset_index(drop=True), f"{dataset}-holdout", metadata={**meta, "part": "holdout"},
        derived_from=[source], run_id=run_id, relation="produced", validate=False,
        description=f"newest labelled predictions of {deployment}, kept out of training",
    )  # fmt: skip
    return TrainingSet(kept, held, len(frame), start, end)


def _with_features(
    rows: pd.DataFrame, frame: pd.DataFrame, spec: TrainingData, features: FeatureSource
) -> pd.DataFrame:
    entity = str(spec.entity)
    if entity not in rows.columns:
        raise InvalidInput(
            f"point-in-time features need the entity column {entity!r} among the logged "
            f"inputs; the prediction log has {sorted(lab.input_columns(rows))}"
        )
    spine = pd.DataFrame({entity: rows[entity], "event_timestamp": rows["time"]})
    joined = features.get_historical_features(spine, list(spec.features))
    if len(joined) != len(frame):
        raise InvalidInput(
            f"the feature store returned {len(joined)} rows for {len(frame)} predictions"
        )
    added = joined.drop(columns=[entity, "event_timestamp"]).reset_index(drop=True)
    added.index = frame.index  # the retrieval keeps the spine's order, one row per row
    kept = frame.drop(columns=["label", *[c for c in added.columns if c in frame.columns]])
    return pd.concat([kept, added, frame[["label"]]], axis=1)


def _split_ref(ref: str) -> tuple[str, str | None]:
    name, _, version = ref.partition("@")
    return name, version or None

"""Stored monitor records: a monitor's configuration and one window's result.

Kept apart from :mod:`loopml.monitoring.monitors` (which validates new monitors against
``loopml.data`` schemas) so that readers of stored results, such as the ``/metrics``
collector of a model server, import neither pandas nor SciPy.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from loopml.monitoring.options import DriftConfig
from loopml.monitoring.rules import Rule


@dataclass(frozen=True, slots=True)
class MonitorInfo:
    """A stored monitor."""

    name: str
    deployment: str
    reference_digest: str
    features: list[str]
    categorical: list[str]
    window: dt.timedelta
    schedule: str | None
    rules: list[Rule]
    drift: DriftConfig
    task: str | None
    positive_label: str | None
    channels: list[dict[str, Any]]
    label_delay: dt.timedelta
    schema: dict[str, Any] | None
    paused: bool
    created_at: int
    updated_at: int

    @classmethod
    def from_row(cls, row: Any) -> MonitorInfo:
        """Build from a ``monitors`` table row."""
        c = row.config
        return cls(
            name=row.name,
            deployment=row.deployment,
            reference_digest=row.reference_digest,
            features=list(c.get("features") or []),
            categorical=list(c.get("categorical") or []),
            window=dt.timedelta(seconds=c["window_s"]),
            schedule=c.get("schedule"),
            rules=[Rule.from_value(r) for r in c.get("rules", [])],
            drift=DriftConfig.from_dict(c.get("drift")),
            task=c.get("task"),
            positive_label=c.get("positive_label"),
            channels=list(c.get("channels", [])),
            label_delay=dt.timedelta(seconds=c.get("label_delay_s", 0)),
            schema=c.get("schema"),
            paused=bool(row.paused),
            created_at=row.created_at,
            updated_at=row.updated_at,
        )


@dataclass(frozen=True, slots=True)
class WindowResult:
    """The evaluation of one window: status, flat metrics, per-column detail, rule outcomes.

    ``status`` is ``ok``, ``empty`` (no rows in the window) or ``error`` (``message`` says
    what failed). ``metrics`` is the flat mapping rules read; ``detail`` holds per-column
    drift and quality, performance per model version and histograms for reports.
    """

    monitor: str
    window_start: dt.datetime
    window_end: dt.datetime
    evaluated_at: dt.datetime
    status: str
    rows: int
    labelled: int
    drift_share: float | None
    metrics: dict[str, float | None]
    detail: dict[str, Any] = field(default_factory=dict)
    message: str | None = None
    outcomes: list[dict[str, Any]] = field(default_factory=list)

    @property
    def drifted_columns(self) -> list[str]:
        """Names of the columns judged drifted in this window."""
        return [c["column"] for c in self.detail.get("drift", []) if c.get("drifted")]

"""What is stale: pipelines behind their code or data, overdue monitors, deployments not on
their champion, open alerts. A handful of indexed queries and file stats (no git calls,
no prediction-log reads beyond cached footers), so ``loopml status`` answers in well
under 0.2 s.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from croniter import croniter
from sqlalchemy import func, select

from loopml._utils.clock import now_ms
from loopml._utils.digits import is_digits
from loopml.store.tables import (
    core,
    data as dt_tables,
    models as mt,
    monitoring as mon,
    pipelines as pt,
    tracking as tt,
)

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.lineage.predictions import PredictionIndex
    from loopml.store import Store


@dataclass(frozen=True, slots=True)
class StaleItem:
    """One thing that needs attention: what it is, why, and what to do."""

    kind: str
    name: str
    reason: str
    action: str


@dataclass(frozen=True, slots=True)
class StatusReport:
    """Everything stale, by kind."""

    items: list[StaleItem] = field(default_factory=list)
    checked_at_ms: int = 0

    @property
    def is_clean(self) -> bool:
        """Whether nothing is stale."""
        return not self.items

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "checked_at_ms": self.checked_at_ms,
            "clean": self.is_clean,
            "items": [
                {"kind": i.kind, "name": i.name, "reason": i.reason, "action": i.action}
                for i in self.items
            ],
        }


def status(store: Store, index: PredictionIndex | None = None) -> StatusReport:
    """Return what is stale in ``store``."""
    now = now_ms()
    items: list[StaleItem] = []
    with store.db.read() as conn:
        items += _pipelines(conn)
        items += _monitors(conn, now)
        items += _alerts(conn)
        champions = _champions(conn)
    if index is not None:
        items += _deployments(index, champions)
    return StatusReport(items, now)


def _pipelines(conn: Connection) -> list[StaleItem]:
    latest = (
        select(pt.pipeline_runs.c.pipeline, func.max(pt.pipeline_runs.c.created_at).label("at"))
        .group_by(pt.pipeline_runs.c.pipeline)
        .subquery()
    )
    rows = conn.execute(
        select(pt.pipeline_runs).join(
            latest,
            (latest.c.pipeline == pt.pipeline_runs.c.pipeline)
            & (latest.c.at == pt.pipeline_runs.c.created_at),
        )
    ).all()
    items = []
    for row in rows:
        started = row.start_time or row.created_at
        changed = _changed_code(row.target, started)
        if changed:
            items.append(
                StaleItem(
                    "pipeline",
                    row.pipeline,
                    f"{changed} changed after its last run {row.id[:8]}",
                    f"loopml pipelines trigger {row.pipeline}",
                )
            )
        for name, version, newest in _newer_data(conn, row.id):
            items.append(
                StaleItem(
                    "pipeline",
                    row.pipeline,
                    f"dataset {name} has v{newest}; its last run {row.id[:8]} used v{version}",
                    f"loopml pipelines trigger {row.pipeline}",
                )
            )
    return items


def _changed_code(target: str | None, since_ms: int) -> str | None:
    if not target:
        return None
    module = target.split(":", 1)[0]
    path = Path(module) if module.endswith(".py") else None
    if path is None:
        return None
    try:
        modified = os.stat(path).st_mtime * 1000
    except OSError:
        return f"its code {path} (now missing)"
    return str(path) if modified > since_ms else None


def _newer_data(conn: Connection, pipeline_run_id: str) -> list[tuple[str, int, int]]:
    runs = select(tt.runs.c.id).where(tt.runs.c.pipeline_run_id == pipeline_run_id)
    edges = core.lineage_edges
    used = conn.execute(
        select(edges.c.dst_id).where(
            edges.c.src_type == "run",
            edges.c.src_id.in_(runs),
            edges.c.relation == "used",
            edges.c.dst_type == "dataset_version",
        )
    ).scalars()
    found: dict[str, int] = {}
    for node_id in used:
        name, _, version = node_id.rpartition("/")
        if is_digits(version):
            found[name] = max(found.get(name, 0), int(version))
    if not found:
        return []
    newest = dict(
        conn.execute(
            select(dt_tables.datasets.c.name, func.max(dt_tables.dataset_versions.c.version))
            .join(
                dt_tables.dataset_versions,
                dt_tables.dataset_versions.c.dataset_id == dt_tables.datasets.c.id,
            )
            .where(dt_tables.datasets.c.name.in_(found))
            .group_by(dt_tables.datasets.c.name)
        ).all()
    )
    return [(n, v, int(newest[n])) for n, v in sorted(found.items()) if newest.get(n, v) > v]


def _monitors(conn: Connection, now: int) -> list[StaleItem]:
    last = dict(
        conn.execute(
            select(
                mon.monitor_results.c.monitor, func.max(mon.monitor_results.c.evaluated_at)
            ).group_by(mon.monitor_results.c.monitor)
        ).all()
    )
    items = []
    for row in conn.execute(select(mon.monitors).where(mon.monitors.c.paused.is_(False))).all():
        due = _due(row.config, last.get(row.name), row.created_at)
        if due is not None and now > due:
            late = dt.timedelta(milliseconds=now - due)
            items.append(
                StaleItem(
                    "monitor",
                    row.name,
                    f"overdue by {_human(late)} (last evaluated "
                    f"{'never' if row.name not in last else _ago(now - last[row.name])})",
                    f"loopml monitor run {row.name}",
                )
            )
    return items


def _due(config: dict[str, Any], last_ms: int | None, created_ms: int) -> int | None:
    since = last_ms or created_ms
    schedule = config.get("schedule")
    if schedule:
        moment = dt.datetime.fromtimestamp(since / 1000, tz=dt.UTC)
        nxt: dt.datetime = croniter(schedule, moment).get_next(dt.datetime)
        # a grace of one minute: the scheduler fires on the tick, the result lands after
        return int(nxt.timestamp() * 1000) + 60_000
    window = config.get("window_s")
    return since + int(float(window) * 1000) * 2 if window else None


def _alerts(conn: Connection) -> list[StaleItem]:
    rows = conn.execute(
        select(mon.monitor_alerts)
        .where(mon.monitor_alerts.c.status == "open")
        .order_by(mon.monitor_alerts.c.id)
    ).all()
    return [
        StaleItem(
            "alert",
            f"{row.monitor}: {row.rule}",
            f"{row.severity} alert open: {row.message}",
            f"loopml monitor alerts --monitor {row.monitor}",
        )
        for row in rows
    ]


def _champions(conn: Connection) -> dict[str, int]:
    rows = conn.execute(
        select(mt.model_aliases.c.name, mt.model_aliases.c.version).where(
            mt.model_aliases.c.alias == "champion"
        )
    ).all()
    return {str(name): int(version) for name, version in rows}


def _deployments(index: PredictionIndex, champions: dict[str, int]) -> list[StaleItem]:
    items = []
    for deployment, (model, version) in index.latest_models().items():
        champion = champions.get(model)
        if champion is not None and champion != version:
            items.append(
                StaleItem(
                    "deployment",
                    deployment,
                    f"serves {model} v{version}; the champion is v{champion}",
                    f"restart or reload the server of {deployment} (loopml serve {model}@champion)",
                )
            )
    return items


def _human(delta: dt.timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _ago(ms: int) -> str:
    return _human(dt.timedelta(milliseconds=ms)) + " ago"

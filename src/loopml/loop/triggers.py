"""Which triggers of a loop have fired since it last looked (cursors make each fire once).

Each trigger kind keeps a cursor in the loop's row: the last alert event id, the last
dataset or model version, the last schedule tick, the last performance check. A
:class:`Firing` records the cause, linked to the alert and monitor result behind it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from loopml._utils.clock import now_ms, parse_duration, to_ms
from loopml.ci import labelled as lab
from loopml.errors import NotFound
from loopml.monitoring.performance import REGRESSION, evaluate
from loopml.pipelines import schedules
from loopml.store.streams import FEEDBACK_STREAM
from loopml.store.tables import monitoring as mt

if TYPE_CHECKING:
    from loopml.data import Datasets
    from loopml.loop.definition import Loop, Trigger
    from loopml.models import Models
    from loopml.store import Store
    from loopml.store.events import EventLog

#: the loop's own versions carry this tag (a registry trigger ignores them)
LOOP_TAG = "loopml.loop_run"


@dataclass(frozen=True, slots=True)
class Firing:
    """One reason for a loop to run.

    Attributes:
        trigger: ``alert``, ``performance``, ``schedule``, ``dataset``, ``registry``,
            ``manual`` or ``http``.
        at: when it happened (epoch ms).
        message: one sentence for people.
        detail: JSON-ready links (``alert_id``, ``monitor``, ``monitor_result_id``,
            ``rule``, ``value``, ``dataset``, ``model_version``...).
    """

    trigger: str
    at: int
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (stored as the run's cause)."""
        return {"trigger": self.trigger, "at": self.at, "message": self.message, **self.detail}


class TriggerSources:
    """Reads what triggers watch: alert events, datasets, the registry, labelled rows."""

    def __init__(self, store: Store, models: Models, datasets: Datasets, log: EventLog) -> None:
        self.store = store
        self.models = models
        self.datasets = datasets
        self.log = log

    def initial_cursors(self, loop: Loop) -> dict[str, Any]:
        """Cursors at definition time: only what happens from now on fires."""
        cursors: dict[str, Any] = {"alert_event": self._last_alert_event(), "tick": now_ms()}
        for trigger in loop.trigger_list:
            if trigger.type == "dataset" and trigger.dataset:
                cursors[f"dataset:{trigger.dataset}"] = self._latest_dataset(trigger.dataset)
            if trigger.type == "registry":
                name = trigger.model or loop.model
                cursors[f"model:{name}"] = self._latest_model(name)
        return cursors

    def pending(
        self, loop: Loop, cursors: dict[str, Any], now: dt.datetime
    ) -> tuple[list[Firing], dict[str, Any]]:
        """Firings since the cursors, oldest first, and the advanced cursors."""
        out: list[Firing] = []
        moved = dict(cursors)
        for trigger in loop.trigger_list:
            found = self._check(loop, trigger, moved, now)
            out.extend(found)
        moved["tick"] = to_ms(now)
        return sorted(out, key=lambda f: f.at), moved

    def _check(
        self, loop: Loop, trigger: Trigger, cursors: dict[str, Any], now: dt.datetime
    ) -> list[Firing]:
        if trigger.type == "alert":
            return self._alerts(loop, trigger, cursors)
        if trigger.type == "schedule":
            return self._schedule(trigger, cursors, now)
        if trigger.type == "dataset":
            return self._dataset(trigger, cursors)
        if trigger.type == "registry":
            return self._registry(loop, trigger, cursors)
        return self._performance(loop, trigger, cursors)

    # ------------------------------------------------------------------ kinds
    def _alerts(self, loop: Loop, trigger: Trigger, cursors: dict[str, Any]) -> list[Firing]:
        monitor = trigger.monitor or loop.monitor
        e = mt.alert_events
        after = int(cursors.get("alert_event", 0))
        query = select(e).where(e.c.id > after, e.c.monitor == monitor, e.c.kind == "opened")
        with self.store.db.read() as conn:
            rows = conn.execute(query.order_by(e.c.id)).all()
            last = conn.execute(select(func.max(e.c.id))).scalar() or after
            firings = [
                self._alert_firing(conn, r) for r in rows
                if trigger.rule is None or r.rule == trigger.rule
            ]  # fmt: skip
        cursors["alert_event"] = max(int(last), after)
        return firings

    def _alert_firing(self, conn: Any, event: Any) -> Firing:
        a, r = mt.monitor_alerts, mt.monitor_results
        alert = conn.execute(select(a).where(a.c.id == event.alert_id)).first()
        result_id = None
        if alert is not None:
            result_id = conn.execute(
                select(r.c.id).where(
                    r.c.monitor == event.monitor, r.c.window_end == alert.window_end
                )
            ).scalar()
        detail = {"alert_id": event.alert_id, "alert_event_id": event.id,
                  "monitor": event.monitor, "rule": event.rule, "value": event.value,
                  "monitor_result_id": result_id, "severity": event.severity}  # fmt: skip
        message = f"alert {event.alert_id} opened on monitor {event.monitor!r}: {event.message}"
        return Firing("alert", int(event.at), message, detail)

    def _schedule(
        self, trigger: Trigger, cursors: dict[str, Any], now: dt.datetime
    ) -> list[Firing]:
        tick = schedules.previous_tick(trigger.cron or "", now)
        last = int(cursors.get(f"cron:{trigger.cron}", cursors.get("tick", 0)))
        if to_ms(tick) <= last:
            return []
        cursors[f"cron:{trigger.cron}"] = to_ms(tick)
        return [Firing("schedule", to_ms(tick), f"schedule {trigger.cron!r} ticked at {tick}",
                       {"cron": trigger.cron})]  # fmt: skip

    def _dataset(self, trigger: Trigger, cursors: dict[str, Any]) -> list[Firing]:
        name = str(trigger.dataset)
        key = f"dataset:{name}"
        latest = self._latest_dataset(name)
        seen = int(cursors.get(key) or 0)
        if latest <= seen:
            return []
        cursors[key] = latest
        version = self.datasets.get_version(name, latest)
        return [Firing("dataset", version.created_at, f"new dataset version {name}@{latest}",
                       {"dataset": f"{name}@{latest}"})]  # fmt: skip

    def _registry(self, loop: Loop, trigger: Trigger, cursors: dict[str, Any]) -> list[Firing]:
        name = trigger.model or loop.model
        key = f"model:{name}"
        seen = int(cursors.get(key) or 0)
        try:
            versions = [v for v in self.models.list_model_versions(name) if v.version > seen]
        except NotFound:
            return []
        if not versions:
            return []
        cursors[key] = max(v.version for v in versions)
        return [
            Firing("registry", v.created_at, f"version {v.version} of {name!r} registered",
                   {"model": name, "model_version": v.version})
            for v in sorted(versions, key=lambda v: v.version) if LOOP_TAG not in v.tags
        ]  # fmt: skip

    def _performance(self, loop: Loop, trigger: Trigger, cursors: dict[str, Any]) -> list[Firing]:
        key = f"performance:{trigger.metric}"
        seen = cursors.get(key)
        if seen and not self.log.keys(
            FEEDBACK_STREAM, dt.datetime.fromtimestamp(seen / 1000, dt.UTC)
        ):
            return []  # no label written since the last check: nothing can have changed
        since = dt.datetime.now(dt.UTC) - parse_duration(trigger.lookback)
        rows = lab.labelled_predictions(
            self.log, str(loop.deployment), since, last_n=trigger.last_n
        )
        if len(rows) < trigger.last_n:
            return []
        newest = int(rows["time"].max().timestamp() * 1000) if "time" in rows else now_ms()
        if newest <= int(cursors.get(key) or 0):
            return []  # nothing new labelled since the last check
        cursors[key] = newest
        result = evaluate(rows["label"].to_numpy(), rows["prediction"].to_numpy())
        value = result.metrics.get(trigger.metric)
        if value is None or trigger.floor is None:
            return []
        worse = value > trigger.floor if trigger.metric in REGRESSION and trigger.metric != "r2" \
            else value < trigger.floor  # fmt: skip
        if not worse:
            return []
        message = (
            f"{trigger.metric} {value:.4f} on the last {trigger.last_n} labelled predictions "
            f"is past the floor {trigger.floor}"
        )
        return [Firing("performance", newest, message,
                       {"metric": trigger.metric, "value": value, "floor": trigger.floor,
                        "last_n": trigger.last_n})]  # fmt: skip

    # ------------------------------------------------------------------ cursors
    def _last_alert_event(self) -> int:
        with self.store.db.read() as conn:
            return int(conn.execute(select(func.max(mt.alert_events.c.id))).scalar() or 0)

    def _latest_dataset(self, name: str) -> int:
        try:
            return max((v.version for v in self.datasets.list_versions(name)), default=0)
        except NotFound:
            return 0

    def _latest_model(self, name: str) -> int:
        try:
            return max((v.version for v in self.models.list_model_versions(name)), default=0)
        except NotFound:
            return 0

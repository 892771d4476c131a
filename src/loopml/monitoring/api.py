"""``Monitoring``: the monitoring API over a store (``client.monitors``, ``lm.*`` functions)."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc, select

from loopml._utils.clock import now_ms, to_instant, to_ms
from loopml.errors import InvalidInput
from loopml.monitoring import (
    alerts,
    channels,
    evaluate,
    references,
    report as report_html,
    schedule,
    storage as st,
)
from loopml.monitoring.frames import to_frame
from loopml.monitoring.monitors import window_of
from loopml.monitoring.prometheus import MonitoringCollector
from loopml.monitoring.records import WindowResult
from loopml.monitoring.rules import confirmed
from loopml.store.event_cache import cached_event_log
from loopml.store.events import EventLog
from loopml.store.lineage import Edge, Node, record_edges
from loopml.store.predlog import feedback as fb, imports, reading as labels_reading
from loopml.store.tables import monitoring as t

if TYPE_CHECKING:
    import builtins
    import os
    import threading
    from collections.abc import Callable, Mapping, Sequence

    import pandas as pd

    from loopml.monitoring.alerts import Alert, Subscription
    from loopml.monitoring.channels import AlertEvent
    from loopml.monitoring.monitors import Monitor
    from loopml.monitoring.records import MonitorInfo
    from loopml.monitoring.summary import ReferenceSummary
    from loopml.store import Store

logger = logging.getLogger(__name__)


class Monitoring:
    """Monitors, feedback, alerts and reports over one store.

    Args:
        store: the store monitors, results and alerts live in.
        log: the event log holding prediction logs and feedback (default: the store's);
            windows read its files through the process's event-file cache, so an event
            file is downloaded once however many windows hold it.
    """

    def __init__(self, store: Store, log: EventLog | None = None) -> None:
        self.store = store
        self.log = cached_event_log(log or EventLog.from_store(store))

    def __repr__(self) -> str:
        return f"Monitoring({self.store!r})"

    # ------------------------------------------------------------------ monitors
    def save(self, monitor: Monitor) -> MonitorInfo:
        """Store (or replace) a monitor; its reference is summarised once and stored."""
        digest, _, source = references.save_reference(
            self.store, monitor.reference, columns=monitor.features, categorical=monitor.categorical
        )
        with self.store.db.write() as conn:
            st.upsert_monitor(conn, self.store.db, monitor, digest)
            if source is not None:
                edge = Edge(Node("monitor", monitor.name), "used", source)
                record_edges(self.store, [edge], conn)
            events = alerts.resolve_rules(
                conn, monitor.name, [r.name for r in monitor.rules], now_ms()
            )
        self._notify(st.get_monitor(self.store.db, monitor.name), events)
        return st.get_monitor(self.store.db, monitor.name)

    def get(self, name: str) -> MonitorInfo:
        """Return a stored monitor."""
        return st.get_monitor(self.store.db, name)

    def list(self) -> builtins.list[MonitorInfo]:
        """Return every stored monitor."""
        return st.list_monitors(self.store.db)

    def delete(self, name: str) -> None:
        """Delete a monitor with its results and alerts."""
        st.delete_monitor(self.store.db, name)

    def pause(self, name: str) -> None:
        """Stop evaluating a monitor on schedule (``run`` still works)."""
        st.set_paused(self.store.db, name, True)

    def resume(self, name: str) -> None:
        """Evaluate a paused monitor on schedule again."""
        st.set_paused(self.store.db, name, False)

    def reference(self, name: str) -> ReferenceSummary:
        """Return the stored reference summary of a monitor."""
        info = self.get(name)
        return self._summary(info)

    def _summary(self, info: MonitorInfo) -> ReferenceSummary:
        summary = references.load_summary(self.store, info.reference_digest)
        return summary.select(info.features) if info.features else summary

    # ------------------------------------------------------------------ evaluation
    def run(
        self,
        name: str,
        *,
        at: dt.datetime | int | None = None,
        window: str | dt.timedelta | None = None,
        current: Any = None,
    ) -> WindowResult:
        """Evaluate the window ending at ``at`` (default now), store and return its result.

        Args:
            name: the monitor.
            at: end of the window (datetime or epoch ms; default: now).
            window: window length (default: the monitor's).
            current: evaluate this DataFrame (or path) instead of the prediction log.

        A window without rows gives status ``empty``; a failure inside the evaluation gives
        status ``error`` with the reason in ``message`` (both are stored; neither raises).
        """
        info = self.get(name)
        end_ms = now_ms() if at is None else to_ms(at)
        length = window_of(window) if window is not None else info.window
        start_ms = end_ms - int(length.total_seconds() * 1000)
        result = self._evaluate(info, start_ms, end_ms, current)
        return self._record(info, result)

    def _evaluate(
        self, info: MonitorInfo, start_ms: int, end_ms: int, current: Any
    ) -> WindowResult:
        start, end, now = _utc(start_ms), _utc(end_ms), _utc(now_ms())
        try:
            summary = self._summary(info)
            frame, labels, scored = self._window(info, start, end, current)
            served = len(evaluate.served_rows(frame))
            if served == 0:
                message = f"no rows for deployment {info.deployment!r} between {start} and {end}"
                empty: dict[str, float | None] = {"window.rows": 0.0, "quality.rows": 0.0}
                return WindowResult(
                    info.name, start, end, now, "empty", 0, 0, None, empty, {}, message
                )
            metrics, detail = evaluate.evaluate_window(info, summary, frame, labels, scored)
        except Exception as err:  # a bad window must never crash the scheduler
            logger.exception("monitor %s failed on window ending %s", info.name, end)
            message = f"{type(err).__name__}: {err}"
            return WindowResult(info.name, start, end, now, "error", 0, 0, None, {}, {}, message)
        labelled = int(metrics.get("performance.labelled") or 0)
        share = metrics.get("drift.share")
        return WindowResult(
            info.name, start, end, now, "ok", served, labelled, share, metrics, detail
        )

    def _window(
        self, info: MonitorInfo, start: dt.datetime, end: dt.datetime, current: Any
    ) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
        """The window's rows, the latest labels, and the predictions scored for performance."""
        if current is not None:
            return to_frame(current), None, None
        frame = evaluate.read_window(self.log, info.deployment, start, end)
        if not info.label_delay:
            return frame, labels_reading.latest_feedback(self.log, start, info.deployment), None
        early = evaluate.read_window(
            self.log, info.deployment, start - info.label_delay, end - info.label_delay
        )
        labels = labels_reading.latest_feedback(self.log, start - info.label_delay, info.deployment)
        return frame, labels, early

    def _record(self, info: MonitorInfo, result: WindowResult) -> WindowResult:
        outcomes = [rule.evaluate(result.metrics) for rule in info.rules]
        if result.status == "error":
            outcomes = [o.__class__(o.rule, "no_data", None) for o in outcomes]
        history = self._history(info, result.window_end)
        ok = [
            confirmed([*history.get(rule.name, []), o.breached], rule.for_windows)
            for rule, o in zip(info.rules, outcomes, strict=True)
        ]
        stored = WindowResult(
            **{k: getattr(result, k) for k in result.__dataclass_fields__ if k != "outcomes"},
            outcomes=[
                {"rule": o.rule, "state": o.state, "value": o.value, "matches": list(o.matches)}
                for o in outcomes
            ],
        )
        end_ms = to_ms(result.window_end)
        for attempt in range(3):
            try:
                with self.store.db.write() as conn:
                    st.write_result(conn, self.store.db, stored)
                    event_ids = alerts.apply(
                        conn, info.name, info.rules, outcomes, ok, end_ms, now_ms()
                    )
                break
            except sa_exc.IntegrityError:  # another process opened the same alert first
                if attempt == 2:
                    raise
        self._notify(info, event_ids)
        return stored

    def _history(self, info: MonitorInfo, before: dt.datetime) -> dict[str, builtins.list[bool]]:
        depth = max((r.for_windows for r in info.rules), default=1) - 1
        if depth <= 0:
            return {}
        past = st.read_results(self.store.db, info.name, until=to_ms(before), limit=depth)
        history: dict[str, builtins.list[bool]] = {}
        for result in sorted(past, key=lambda r: r.window_end):
            states = {o["rule"]: o["state"] == "breached" for o in result.outcomes}
            for rule in info.rules:
                history.setdefault(rule.name, []).append(states.get(rule.name, False))
        return history

    def _notify(self, info: MonitorInfo, event_ids: Sequence[int]) -> None:
        events = alerts.read_events(self.store.db, event_ids)
        if not events:
            return
        targets = [channels.from_spec(spec) for spec in info.channels]
        channels.deliver(targets, events)
        for event in events:
            channels.deliver(list(alerts.subscribers_for(event)), [event])

    def run_due(self, now: dt.datetime | None = None) -> builtins.list[WindowResult]:
        """Evaluate every unpaused monitor whose latest scheduled tick has no result yet.

        Only the latest missed tick of each monitor is evaluated (no backfill storm after
        downtime). Returns the new results.
        """
        ticks = self.due_ticks(now or dt.datetime.now(dt.UTC))
        return [self.run(name, at=tick) for name, tick in ticks]

    def due_ticks(self, now: dt.datetime) -> builtins.list[tuple[str, dt.datetime]]:
        """``(monitor, tick)`` for each unpaused monitor whose latest tick has no result."""
        due = []
        for info in self.list():
            tick = schedule.last_tick(info, now)
            if not info.paused and not self._has_result(info.name, to_ms(tick)):
                due.append((info.name, tick))
        return due

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest next scheduled tick among unpaused monitors."""
        ticks = [schedule.next_tick(m, now) for m in self.list() if not m.paused]
        return min(ticks) if ticks else None

    def run_forever(self, *, stop: threading.Event | None = None, poll_s: float = 30.0) -> None:
        """Evaluate monitors on their schedules until ``stop`` is set (under a database lease)."""
        schedule.run_forever(self.store.db, self.run_due, self.next_due, stop=stop, poll_s=poll_s)

    def _has_result(self, name: str, end_ms: int) -> bool:
        r = t.monitor_results
        with self.store.db.read() as conn:
            found = conn.execute(
                select(r.c.id).where(r.c.monitor == name, r.c.window_end == end_ms)
            ).first()
        return found is not None

    # ------------------------------------------------------------------ results and alerts
    def results(
        self,
        name: str,
        *,
        since: dt.datetime | int | None = None,
        until: dt.datetime | int | None = None,
        limit: int | None = None,
    ) -> builtins.list[WindowResult]:
        """Return a monitor's stored window results, oldest first."""
        self.get(name)
        return st.read_results(
            self.store.db, name, since=None if since is None else to_ms(since),
            until=None if until is None else to_ms(until), limit=limit,
        )  # fmt: skip

    def results_frame(self, name: str, **options: Any) -> pd.DataFrame:
        """Return the metrics of every window as a DataFrame indexed by window end."""
        import pandas as pd

        rows = [
            {"window_end": r.window_end, "status": r.status, **r.metrics}
            for r in self.results(name, **options)
        ]
        frame = pd.DataFrame(rows)
        return frame.set_index("window_end") if len(frame) else frame

    def prune(self, name: str | None = None, *, older_than: str | dt.timedelta = "90d") -> int:
        """Delete stored window results older than ``older_than``; return how many.

        Alerts and alert events are kept (they are the audit trail).
        """
        if name is not None:
            self.get(name)
        cutoff = now_ms() - int(window_of(older_than).total_seconds() * 1000)
        return st.prune_results(self.store.db, name, cutoff)

    def metrics_collector(self) -> MonitoringCollector:
        """A Prometheus collector of this store's monitoring gauges (see ``prometheus``)."""
        return MonitoringCollector(self.store)

    def latest_results(self) -> builtins.list[WindowResult]:
        """Return the newest result of every monitor."""
        return st.latest_results(self.store.db)

    def alerts(
        self, monitor: str | None = None, *, status: str | None = "open"
    ) -> builtins.list[Alert]:
        """Return alerts (default: the open ones), newest first."""
        a = t.monitor_alerts
        query = select(a).order_by(a.c.id.desc())
        if monitor is not None:
            query = query.where(a.c.monitor == monitor)
        if status is not None:
            if status not in ("open", "resolved"):
                raise InvalidInput(f"status must be 'open', 'resolved' or None, not {status!r}")
            query = query.where(a.c.status == status)
        with self.store.db.read() as conn:
            rows = conn.execute(query).all()
        return [alerts.Alert.from_row(r) for r in rows]

    def alert_events(
        self, *, after: int = 0, monitor: str | None = None, limit: int = 1000
    ) -> builtins.list[AlertEvent]:
        """Return alert events with ``id > after``, oldest first (poll with the last id)."""
        e = t.alert_events
        query = select(e).where(e.c.id > after).order_by(e.c.id).limit(limit)
        if monitor is not None:
            query = query.where(e.c.monitor == monitor)
        with self.store.db.read() as conn:
            rows = conn.execute(query).all()
        return [alerts.event_from_row(r) for r in rows]

    def subscribe(
        self,
        callback: Callable[[AlertEvent], Any],
        *,
        monitor: str | None = None,
        min_severity: str | None = None,
    ) -> Subscription:
        """Call ``callback(event)`` for each alert opened or resolved in this process."""
        return alerts.subscribe(callback, monitor=monitor, min_severity=min_severity)

    def report(
        self,
        name: str,
        *,
        window: str | dt.timedelta = "24h",
        at: dt.datetime | int | None = None,
        path: str | os.PathLike[str] | None = None,
    ) -> report_html.MonitorReport:
        """Build a self-contained HTML report of the last ``window`` (default 24 hours).

        The whole period is evaluated as one window (not stored) for the drift table and the
        reference-vs-current distributions; the stored windows give the time series.

        Args:
            name: the monitor.
            window: the period covered.
            at: end of the period (default: now).
            path: also write the HTML there.
        """
        info = self.get(name)
        end_ms = now_ms() if at is None else to_ms(at)
        start_ms = end_ms - int(window_of(window).total_seconds() * 1000)
        period = self._evaluate(info, start_ms, end_ms, None)
        history = self.results(name, since=start_ms, until=end_ms + 1)
        recent = [
            a for a in self.alerts(name, status=None)
            if a.status == "open" or to_ms(a.last_seen_at) >= start_ms
        ]  # fmt: skip
        text = report_html.render(info, self._summary(info), period, history, recent)
        return report_html.MonitorReport(text, period, history, recent).save(path)

    # ------------------------------------------------------------------ predictions, feedback
    def log_predictions(
        self,
        deployment: str,
        data: pd.DataFrame,
        *,
        prediction: str = "prediction",
        score: str | None = None,
        time: str | None = None,
        prediction_id: str | None = None,
        model_name: str | None = None,
        model_version: int | None = None,
    ) -> builtins.list[str]:
        """Log predictions made outside a model server (a batch job); return their ids.

        The rows join ``deployment``'s prediction log as a server would write them, so
        monitors, ``log_feedback`` and ``get_performance`` see them. Every column not named
        below is an input.

        Args:
            deployment: the deployment (prediction log) to append to.
            data: one row per prediction.
            prediction: the column holding the prediction.
            score: the column holding the positive-class score, if any.
            time: the column holding when each prediction was made (default: now).
            prediction_id: the column holding ids (default: new random ids).
            model_name: the model that predicted (default: the deployment name).
            model_version: its version, if known.

        Raises:
            InvalidInput: a named column is missing, or there are no rows or inputs.
        """
        return imports.log_predictions(
            self.log, deployment, data, prediction=prediction, score=score, time=time,
            prediction_id=prediction_id, model_name=model_name, model_version=model_version,
        )  # fmt: skip

    def log_feedback(
        self,
        prediction_id: str,
        label: Any,
        *,
        deployment: str | None = None,
        time: dt.datetime | int | None = None,
        on_unknown: fb.OnUnknown = "error",
    ) -> fb.FeedbackResult:
        """Record the true outcome of one prediction (the latest label per id wins)."""
        row: Mapping[str, Any] = {
            "prediction_id": prediction_id,
            "label": label,
            "time": time,
            "deployment": deployment,
        }
        return fb.log_feedback_rows(self.log, [row], deployment=deployment, on_unknown=on_unknown)

    def log_feedback_batch(
        self, data: Any, *, deployment: str | None = None, on_unknown: fb.OnUnknown = "error"
    ) -> fb.FeedbackResult:
        """Record many labels from a DataFrame, Arrow table, parquet/CSV path or list of dicts."""
        rows = list(data) if isinstance(data, list) else fb.rows_from_frame(to_frame(data))
        return fb.log_feedback_rows(self.log, rows, deployment=deployment, on_unknown=on_unknown)

    def performance(
        self,
        deployment: str,
        *,
        since: dt.datetime | str | int | dt.timedelta | None = None,
        until: dt.datetime | str | int | dt.timedelta | None = None,
        task: str | None = None,
        positive_label: str | None = None,
    ) -> pd.DataFrame:
        """Return live performance per model version of a deployment's labelled predictions.

        Args:
            deployment: the deployment whose prediction log is read.
            since: start of the window: a datetime, ISO 8601 text, epoch ms, or a look-back
                such as ``"10m"`` or ``"24h"`` (default: the beginning).
            until: end of the window, the same forms (default: now).
            task: ``"classification"`` or ``"regression"`` (default: inferred).
            positive_label: the positive class for binary metrics.

        Raises:
            InvalidInput: ``since`` or ``until`` is not a time.
        """
        import pandas as pd

        since = _instant(since, "since")
        until = _instant(until, "until")
        window = evaluate.read_window(
            self.log, deployment, since or _utc(0), until or _utc(now_ms() + 1)
        )
        labels = labels_reading.latest_feedback(self.log, since, deployment)
        groups = evaluate.performance_groups(
            window, labels, task=task, positive_label=positive_label
        )
        rows = [
            {
                "model_version": g.model_version,
                "shadow": g.shadow,
                "task": g.task,
                "labelled": g.labelled,
                **g.metrics,
            }
            for g in groups
        ]
        frame = pd.DataFrame(rows)
        if len(frame):
            frame["model_version"] = frame["model_version"].astype("Int64")
        return frame


def _instant(value: dt.datetime | str | int | dt.timedelta | None, name: str) -> dt.datetime | None:
    if value is None:
        return None
    try:
        return to_instant(value)
    except ValueError as err:
        raise InvalidInput(f"{name}: {err}") from err


def _utc(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)

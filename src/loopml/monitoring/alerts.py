"""Alerts: opened when a rule is breached, kept (deduplicated) while it stays breached,
resolved when the rule clears. Every change is appended to ``alert_events``.

At most one alert per (monitor, rule) is open at a time: the database enforces it with a
unique ``open_key`` that is cleared on resolution. A rule with no data in a window (for
example no labels yet) leaves its alert as it is.
"""

from __future__ import annotations

import itertools
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select, update

from loopml._utils.clock import ms_to_datetime
from loopml.monitoring.channels import AlertEvent
from loopml.store.tables import monitoring as t

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Sequence

    from sqlalchemy import Connection

    from loopml.monitoring.rules import Rule, RuleOutcome
    from loopml.store.db import Database

SEPARATOR = "\x1f"


@dataclass(frozen=True, slots=True)
class Alert:
    """An alert: one breach episode of one rule of one monitor."""

    id: int
    monitor: str
    rule: str
    severity: str
    status: str
    opened_at: dt.datetime
    last_seen_at: dt.datetime
    resolved_at: dt.datetime | None
    window_end: dt.datetime
    value: float | None
    message: str

    @classmethod
    def from_row(cls, row: Any) -> Alert:
        """Build from a ``monitor_alerts`` row."""
        return cls(
            id=row.id, monitor=row.monitor, rule=row.rule, severity=row.severity,
            status=row.status, opened_at=_dt(row.opened_at), last_seen_at=_dt(row.last_seen_at),
            resolved_at=ms_to_datetime(row.resolved_at), window_end=_dt(row.window_end),
            value=row.value, message=row.message,
        )  # fmt: skip


def _dt(ms: int) -> dt.datetime:
    value = ms_to_datetime(ms)
    assert value is not None
    return value


def event_from_row(row: Any) -> AlertEvent:
    """Build an :class:`AlertEvent` from an ``alert_events`` row."""
    return AlertEvent(
        id=row.id, alert_id=row.alert_id, monitor=row.monitor, rule=row.rule, kind=row.kind,
        severity=row.severity, at=_dt(row.at), value=row.value, message=row.message,
    )  # fmt: skip


def apply(
    conn: Connection,
    monitor: str,
    rules: Sequence[Rule],
    outcomes: Sequence[RuleOutcome],
    confirmed: Sequence[bool],
    window_end: int,
    now: int,
) -> list[int]:
    """Open, refresh or resolve the alerts of one evaluated window; return new event ids.

    ``confirmed[i]`` says whether rule ``i`` was breached for its ``for_windows``
    consecutive windows (only then does an alert open).
    """
    events: list[int] = []
    for rule, outcome, ok in zip(rules, outcomes, confirmed, strict=True):
        key = f"{monitor}{SEPARATOR}{rule.name}"
        current = conn.execute(
            select(t.monitor_alerts).where(t.monitor_alerts.c.open_key == key)
        ).first()
        if outcome.breached and ok:
            message = _message(rule, outcome)
            if current is None:
                events.append(_open(conn, monitor, rule, outcome, key, window_end, now, message))
            else:
                conn.execute(
                    update(t.monitor_alerts)
                    .where(t.monitor_alerts.c.id == current.id)
                    .values(
                        last_seen_at=now,
                        window_end=window_end,
                        value=outcome.value,
                        message=message,
                    )
                )
        elif outcome.state == "ok" and current is not None:
            events.append(_resolve(conn, current, outcome, now, window_end))
    return events


def resolve_rules(conn: Connection, monitor: str, keep: Sequence[str], now: int) -> list[int]:
    """Resolve the open alerts of ``monitor`` whose rule is no longer in ``keep``."""
    rows = conn.execute(
        select(t.monitor_alerts).where(
            t.monitor_alerts.c.monitor == monitor, t.monitor_alerts.c.status == "open"
        )
    ).all()
    return [
        _resolve(conn, row, None, now, row.window_end, "the rule was removed")
        for row in rows
        if row.rule not in keep
    ]


def _message(rule: Rule, outcome: RuleOutcome) -> str:
    where = ", ".join(outcome.matches[:5])
    more = f" (+{len(outcome.matches) - 5} more)" if len(outcome.matches) > 5 else ""
    return f"{rule.name}: value {outcome.value:.6g} on {where}{more}"


def _open(
    conn: Connection, monitor: str, rule: Rule, outcome: RuleOutcome, key: str,
    window_end: int, now: int, message: str,
) -> int:  # fmt: skip
    row = {
        "monitor": monitor, "rule": rule.name, "severity": rule.severity, "status": "open",
        "open_key": key, "opened_at": now, "last_seen_at": now, "resolved_at": None,
        "window_end": window_end, "value": outcome.value, "message": message,
    }  # fmt: skip
    alert_id = conn.execute(insert(t.monitor_alerts).values(**row)).inserted_primary_key[0]  # type: ignore[index]
    return _event(
        conn, alert_id, monitor, rule.name, "opened", rule.severity, now, outcome.value, message
    )


def _resolve(
    conn: Connection, row: Any, outcome: RuleOutcome | None, now: int, window_end: int,
    reason: str = "",
) -> int:  # fmt: skip
    value = outcome.value if outcome is not None else row.value
    if reason:
        message = f"{row.rule}: resolved, {reason}"
    elif value is not None:
        message = f"{row.rule}: back to normal (value {value:.6g})"
    else:
        message = f"{row.rule}: back to normal"
    conn.execute(
        update(t.monitor_alerts)
        .where(t.monitor_alerts.c.id == row.id)
        .values(status="resolved", open_key=None, resolved_at=now, last_seen_at=now)
    )
    return _event(
        conn, row.id, row.monitor, row.rule, "resolved", row.severity, now, value, message
    )


def _event(
    conn: Connection, alert_id: int, monitor: str, rule: str, kind: str, severity: str,
    at: int, value: float | None, message: str,
) -> int:  # fmt: skip
    values = {
        "alert_id": alert_id, "monitor": monitor, "rule": rule, "kind": kind,
        "severity": severity, "at": at, "value": value, "message": message,
    }  # fmt: skip
    key = conn.execute(insert(t.alert_events).values(**values)).inserted_primary_key
    return int(key[0])  # type: ignore[index]


def read_events(db: Database, ids: Sequence[int]) -> list[AlertEvent]:
    """Return the events with these ids, oldest first."""
    if not ids:
        return []
    with db.read() as conn:
        rows = conn.execute(
            select(t.alert_events).where(t.alert_events.c.id.in_(ids)).order_by(t.alert_events.c.id)
        ).all()
    return [event_from_row(r) for r in rows]


# ---------------------------------------------------------------- in-process subscribers
@dataclass(frozen=True, slots=True)
class Subscription:
    """A registered alert callback; :meth:`cancel` removes it."""

    id: int
    callback: Callable[[AlertEvent], Any]
    monitor: str | None
    min_severity: str | None
    kinds: tuple[str, ...]

    def wants(self, event: AlertEvent) -> bool:
        """Whether this subscriber wants ``event``."""
        order = ("info", "warning", "critical")
        if self.monitor is not None and event.monitor != self.monitor:
            return False
        if event.kind not in self.kinds:
            return False
        return self.min_severity is None or order.index(event.severity) >= order.index(
            self.min_severity
        )

    def send(self, event: AlertEvent) -> None:
        """Call the callback."""
        self.callback(event)

    def cancel(self) -> None:
        """Stop receiving events."""
        with _LOCK:
            _SUBSCRIBERS.pop(self.id, None)


_SUBSCRIBERS: dict[int, Subscription] = {}
_LOCK = threading.Lock()
_IDS = itertools.count(1)


def subscribe(
    callback: Callable[[AlertEvent], Any],
    *,
    monitor: str | None = None,
    min_severity: str | None = None,
    kinds: Sequence[str] = ("opened", "resolved"),
) -> Subscription:
    """Call ``callback`` with every alert event raised in this process."""
    subscription = Subscription(next(_IDS), callback, monitor, min_severity, tuple(kinds))
    with _LOCK:
        _SUBSCRIBERS[subscription.id] = subscription
    return subscription


def subscribers_for(event: AlertEvent) -> list[Subscription]:
    """Return the in-process subscribers that want ``event``."""
    with _LOCK:
        current = list(_SUBSCRIBERS.values())
    return [s for s in current if s.wants(event)]

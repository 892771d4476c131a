"""Alerts for model-server events: a refused hot swap opens an alert, a later swap resolves it.

Model servers do not import monitoring (tests/test_wiring.py): the client hands them the
hooks below as ``"module:function"`` strings (``loopml.client.SWAP_HOOKS``), and each
server process imports them when the first swap event happens. The alert belongs to the
pseudo-monitor ``serving/<deployment>``, rule ``swap_refused:<route>``; it is listed by
``lm.list_alerts()`` / ``loopml monitor alerts`` like any monitor's alert, its events go
to ``alert_events`` and to in-process subscribers.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc, insert, select, update

from loopml._utils.clock import now_ms
from loopml.monitoring import alerts, channels
from loopml.store.tables import monitoring as t

if TYPE_CHECKING:
    from loopml.store import Store

MONITOR_PREFIX = "serving/"
SEVERITY = "critical"


def monitor_name(deployment: str) -> str:
    """The pseudo-monitor that holds a deployment's serving alerts."""
    return f"{MONITOR_PREFIX}{deployment}"


def swap_refused(store: Store, deployment: str, refusal: Any) -> None:
    """Open (or refresh) the alert of a refused hot swap of ``deployment``.

    ``refusal`` is the server's ``RefusedSwap`` (route, model_name, from_version,
    to_version, kind, reason, time_ms).
    """
    monitor = monitor_name(deployment)
    rule = f"swap_refused:{refusal.route}"
    message = (
        f"{deployment}: refused to swap the {refusal.route} route of {refusal.model_name} "
        f"to version {refusal.to_version} ({refusal.kind}); still serving version "
        f"{refusal.from_version}: {refusal.reason}"
    )[:4000]
    at = int(refusal.time_ms or now_ms())
    key = f"{monitor}{alerts.SEPARATOR}{rule}"
    for attempt in range(3):
        try:
            with store.db.write() as conn:
                current = conn.execute(
                    select(t.monitor_alerts).where(t.monitor_alerts.c.open_key == key)
                ).first()
                if current is not None:
                    conn.execute(
                        update(t.monitor_alerts)
                        .where(t.monitor_alerts.c.id == current.id)
                        .values(last_seen_at=at, window_end=at, message=message)
                    )
                    return  # already open: refreshed, no new event
                row = {
                    "monitor": monitor, "rule": rule, "severity": SEVERITY, "status": "open",
                    "open_key": key, "opened_at": at, "last_seen_at": at, "resolved_at": None,
                    "window_end": at, "value": float(refusal.to_version), "message": message,
                }  # fmt: skip
                result = conn.execute(insert(t.monitor_alerts).values(**row))
                alert_id = int(result.inserted_primary_key[0])  # type: ignore[index]
                event_id = _event(conn, alert_id, monitor, rule, "opened", at, message)
            break
        except sa_exc.IntegrityError:  # another worker opened the same alert first
            if attempt == 2:
                raise
    _notify(store, [event_id])


def swap_succeeded(store: Store, deployment: str, route: str, version: int) -> None:
    """Resolve the open refused-swap alert of ``deployment``'s ``route`` (if any)."""
    monitor = monitor_name(deployment)
    rule = f"swap_refused:{route}"
    key = f"{monitor}{alerts.SEPARATOR}{rule}"
    at = now_ms()
    message = f"{deployment}: the {route} route now serves version {version}; resolved"
    with store.db.write() as conn:
        current = conn.execute(
            select(t.monitor_alerts).where(t.monitor_alerts.c.open_key == key)
        ).first()
        if current is None:
            return
        conn.execute(
            update(t.monitor_alerts)
            .where(t.monitor_alerts.c.id == current.id, t.monitor_alerts.c.status == "open")
            .values(status="resolved", open_key=None, resolved_at=at, last_seen_at=at)
        )
        event_id = _event(conn, current.id, monitor, rule, "resolved", at, message)
    _notify(store, [event_id])


def _event(
    conn: Any, alert_id: int, monitor: str, rule: str, kind: str, at: int, message: str
) -> int:
    values = {
        "alert_id": alert_id, "monitor": monitor, "rule": rule, "kind": kind,
        "severity": SEVERITY, "at": at, "value": None, "message": message,
    }  # fmt: skip
    return int(conn.execute(insert(t.alert_events).values(**values)).inserted_primary_key[0])


def _notify(store: Store, event_ids: list[int]) -> None:
    for event in alerts.read_events(store.db, event_ids):
        channels.deliver(list(alerts.subscribers_for(event)), [event])

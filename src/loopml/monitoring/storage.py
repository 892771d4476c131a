"""Reads and writes of monitors and their per-window results (SQLAlchemy Core)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select

from loopml._utils.clock import ms_to_datetime, now_ms
from loopml.errors import NotFound
from loopml.monitoring.records import MonitorInfo, WindowResult
from loopml.store.tables import monitoring as t

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.monitoring.monitors import Monitor
    from loopml.store.db import Database


class MonitorNotFound(NotFound):
    """No monitor with the given name."""


def upsert_monitor(conn: Connection, db: Database, monitor: Monitor, digest: str) -> None:
    """Insert or replace a monitor definition (keeps ``created_at`` and ``paused``)."""
    now = now_ms()
    row = {
        "name": monitor.name,
        "deployment": monitor.deployment,
        "reference_digest": digest,
        "config": monitor.config(),
        "paused": False,
        "created_at": now,
        "updated_at": now,
    }
    stmt = db.upsert(
        t.monitors, ["name"], ["deployment", "reference_digest", "config", "updated_at"]
    )
    conn.execute(stmt, row)


def get_monitor(db: Database, name: str) -> MonitorInfo:
    """Return a stored monitor.

    Raises:
        MonitorNotFound: there is none named ``name``.
    """
    with db.read() as conn:
        row = conn.execute(select(t.monitors).where(t.monitors.c.name == name)).first()
        if row is None:
            names = (
                conn.execute(select(t.monitors.c.name).order_by(t.monitors.c.name)).scalars().all()
            )
    if row is None:
        known = ", ".join(repr(n) for n in names[:10]) or "none"
        raise MonitorNotFound(
            f"no monitor {name!r} in this store; monitors: {known}. Create one with "
            "lm.save_monitor(lm.Monitor(name, reference=...))"
        )
    return MonitorInfo.from_row(row)


def list_monitors(db: Database) -> list[MonitorInfo]:
    """Return every stored monitor, by name."""
    with db.read() as conn:
        rows = conn.execute(select(t.monitors).order_by(t.monitors.c.name)).all()
    return [MonitorInfo.from_row(r) for r in rows]


def set_paused(db: Database, name: str, paused: bool) -> None:
    """Pause or resume a monitor."""
    get_monitor(db, name)
    with db.write() as conn:
        conn.execute(t.monitors.update().where(t.monitors.c.name == name).values(paused=paused))


def delete_monitor(db: Database, name: str) -> None:
    """Delete a monitor with its results, alerts and alert events."""
    get_monitor(db, name)
    with db.write() as conn:
        for table in (t.alert_events, t.monitor_alerts, t.monitor_results):
            conn.execute(delete(table).where(table.c.monitor == name))
        conn.execute(delete(t.monitors).where(t.monitors.c.name == name))


def write_result(conn: Connection, db: Database, result: WindowResult) -> None:
    """Insert or replace the result of one window."""
    row = {
        "monitor": result.monitor,
        "window_start": _ms(result.window_start),
        "window_end": _ms(result.window_end),
        "evaluated_at": _ms(result.evaluated_at),
        "status": result.status,
        "rows": result.rows,
        "labelled": result.labelled,
        "drift_share": result.drift_share,
        "metrics": result.metrics,
        "detail": {**result.detail, "outcomes": result.outcomes},
        "message": result.message,
    }
    update = [k for k in row if k not in ("monitor", "window_end")]
    conn.execute(db.upsert(t.monitor_results, ["monitor", "window_end"], update), row)


def _ms(value: Any) -> int:
    return int(value.timestamp() * 1000)


def read_results(
    db: Database,
    name: str,
    *,
    since: int | None = None,
    until: int | None = None,
    limit: int | None = None,
    newest_first: bool = False,
) -> list[WindowResult]:
    """Return results of ``name`` with ``since <= window_end < until``, oldest first."""
    r = t.monitor_results
    query = select(r).where(r.c.monitor == name)
    if since is not None:
        query = query.where(r.c.window_end >= since)
    if until is not None:
        query = query.where(r.c.window_end < until)
    order = r.c.window_end.desc() if newest_first or limit else r.c.window_end
    query = query.order_by(order)
    if limit is not None:
        query = query.limit(limit)
    with db.read() as conn:
        rows = conn.execute(query).all()
    results = [result_from_row(row) for row in rows]
    return results if newest_first else sorted(results, key=lambda x: x.window_end)


def latest_results(db: Database) -> list[WindowResult]:
    """Return the newest result of every monitor."""
    r = t.monitor_results
    latest = (
        select(r.c.monitor, func.max(r.c.window_end).label("end")).group_by(r.c.monitor).subquery()
    )
    joined = (r.c.monitor == latest.c.monitor) & (r.c.window_end == latest.c.end)
    with db.read() as conn:
        rows = conn.execute(select(r).join(latest, joined).order_by(r.c.monitor)).all()
    return [result_from_row(row) for row in rows]


def result_from_row(row: Any) -> WindowResult:
    """Build a :class:`WindowResult` from a ``monitor_results`` row."""
    detail = dict(row.detail or {})
    outcomes = detail.pop("outcomes", [])
    return WindowResult(
        monitor=row.monitor,
        window_start=_when(row.window_start),
        window_end=_when(row.window_end),
        evaluated_at=_when(row.evaluated_at),
        status=row.status,
        rows=row.rows,
        labelled=row.labelled,
        drift_share=row.drift_share,
        metrics=dict(row.metrics or {}),
        detail=detail,
        message=row.message,
        outcomes=list(outcomes),
    )


def _when(ms: int) -> Any:
    return ms_to_datetime(ms)


def prune_results(db: Database, name: str | None, before: int) -> int:
    """Delete the results of ``name`` (every monitor when ``None``) with ``window_end < before``."""
    r = t.monitor_results
    condition = r.c.window_end < before
    if name is not None:
        condition = condition & (r.c.monitor == name)
    with db.write() as conn:
        return int(conn.execute(delete(r).where(condition)).rowcount)

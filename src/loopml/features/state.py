"""Materialization history and watermarks in the metadata database."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from loopml._utils.clock import now_ms
from loopml.store.tables import features as t

if TYPE_CHECKING:
    from loopml.features.materialize import Window
    from loopml.features.registry import ViewVersion
    from loopml.store import Store


@dataclass(frozen=True, slots=True)
class MaterializationRecord:
    """One materialization as recorded in the history (times in epoch ms, windows in µs)."""

    id: int
    view: str
    version: int
    online_store: str
    mode: str
    window_start_us: int | None
    window_end_us: int
    entities: int | None
    status: str
    started_at: int
    finished_at: int | None
    error: str | None


def watermark(store: Store, view: ViewVersion, online: str) -> int | None:
    """Return the watermark (epoch µs) of a view version's storage in an online store."""
    w = t.feature_watermarks
    stmt = select(w.c.watermark_us).where(
        (w.c.view == view.name)
        & (w.c.storage_digest == view.storage_digest)
        & (w.c.online_store == online)
    )
    with store.db.read() as conn:
        value = conn.execute(stmt).scalar()
    return None if value is None else int(value)


def start(store: Store, view: ViewVersion, online: str, mode: str, window: Window) -> int:
    """Record a materialization as RUNNING; return its id."""
    row = {
        "view": view.name,
        "version": view.version,
        "storage_digest": view.storage_digest,
        "online_store": online,
        "mode": mode,
        "window_start_us": window.start_us,
        "window_end_us": window.end_us,
        "status": "RUNNING",
        "started_at": now_ms(),
    }
    with store.db.write() as conn:
        result = conn.execute(t.feature_materializations.insert().values(**row))
        return int(result.inserted_primary_key[0])  # type: ignore[index]


def finish(
    store: Store,
    run_id: int,
    view: ViewVersion,
    online: str,
    entities: int,
    new_watermark: int | None,
) -> None:
    """Mark a materialization FINISHED and move the watermark, in one transaction."""
    m = t.feature_materializations
    with store.db.write() as conn:
        conn.execute(
            update(m)
            .where(m.c.id == run_id)
            .values(status="FINISHED", rows=entities, finished_at=now_ms())
        )
        if new_watermark is not None:
            stmt = store.db.upsert(
                t.feature_watermarks,
                ["view", "storage_digest", "online_store"],
                ["watermark_us", "updated_at"],
            )
            conn.execute(
                stmt,
                {
                    "view": view.name,
                    "storage_digest": view.storage_digest,
                    "online_store": online,
                    "watermark_us": new_watermark,
                    "updated_at": now_ms(),
                },
            )


def fail(store: Store, run_id: int, error: BaseException) -> None:
    """Mark a materialization FAILED with the error text."""
    m = t.feature_materializations
    text = f"{type(error).__name__}: {error}"[:4000]
    with store.db.write() as conn:
        conn.execute(
            update(m)
            .where(m.c.id == run_id)
            .values(status="FAILED", error=text, finished_at=now_ms())
        )


def history(store: Store, view: str | None = None, limit: int = 50) -> list[MaterializationRecord]:
    """Return recent materializations, newest first."""
    m = t.feature_materializations
    stmt = select(m).order_by(m.c.id.desc()).limit(limit)
    if view is not None:
        stmt = stmt.where(m.c.view == view)
    with store.db.read() as conn:
        return [_record(row) for row in conn.execute(stmt)]


def _record(row: Any) -> MaterializationRecord:
    return MaterializationRecord(
        id=row.id,
        view=row.view,
        version=row.version,
        online_store=row.online_store,
        mode=row.mode,
        window_start_us=row.window_start_us,
        window_end_us=row.window_end_us,
        entities=row.rows,
        status=row.status,
        started_at=row.started_at,
        finished_at=row.finished_at,
        error=row.error,
    )

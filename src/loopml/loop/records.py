"""Stored loops, loop runs and loop events (frozen dataclasses over the ``loop`` tables)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc, select, update

from loopml._utils.clock import ms_to_datetime, now_ms
from loopml._utils.ids import new_id
from loopml.errors import Conflict, NotFound
from loopml.loop.definition import Loop
from loopml.store.tables import loop as t

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

    from loopml.store.db import Database

#: states a run moves through; the last four end it
ACTIVE = ("QUEUED", "TRAINING", "GATING", "CANARY")
DONE = ("PROMOTED", "BLOCKED", "ROLLED_BACK", "FAILED")


class LoopNotFound(NotFound):
    """No loop with that name."""


class LoopRunNotFound(NotFound):
    """No loop run with that id."""


class LoopBusy(Conflict):
    """The loop already has a run in flight."""


@dataclass(frozen=True, slots=True)
class LoopInfo:
    """A stored loop: its definition, whether it is paused, and its trigger cursors."""

    name: str
    loop: Loop
    paused: bool
    cursors: dict[str, Any]
    created_at: int
    updated_at: int

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "name": self.name,
            "paused": self.paused,
            "spec": self.loop.to_dict(),
            "cursors": self.cursors,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


@dataclass(frozen=True, slots=True)
class LoopRun:
    """One run of a loop: why it fired, where it is, and what it decided.

    ``status`` moves QUEUED -> TRAINING -> GATING -> (CANARY ->) PROMOTED, or ends in
    BLOCKED (gates or too few labels), ROLLED_BACK (the canary breached) or FAILED.
    """

    id: str
    loop: str
    status: str
    cause: dict[str, Any]
    created_at: int
    updated_at: int
    ended_at: int | None = None
    holder: str | None = None
    heartbeat_at: int | None = None
    champion_version: int | None = None
    challenger_version: int | None = None
    dataset: str | None = None
    pipeline_run_id: str | None = None
    verdict_id: int | None = None
    state: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def is_done(self) -> bool:
        """Whether the run has ended."""
        return self.status in DONE

    @property
    def created(self) -> dt.datetime | None:
        """``created_at`` as an aware datetime."""
        return ms_to_datetime(self.created_at)

    @property
    def duration_s(self) -> float | None:
        """Seconds from creation to end."""
        return None if self.ended_at is None else (self.ended_at - self.created_at) / 1000

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}

    @classmethod
    def from_row(cls, row: Any) -> LoopRun:
        """Build from a ``loop_runs`` row."""
        values = {k: getattr(row, k) for k in cls.__dataclass_fields__}
        values["cause"] = dict(row.cause or {})
        values["state"] = dict(row.state or {})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class LoopEvent:
    """One entry of a loop's event log (firings, state changes, decisions)."""

    id: int
    loop: str
    run_id: str | None
    kind: str
    at: int
    message: str
    detail: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


# ---------------------------------------------------------------------- loops
def upsert_loop(db: Database, loop: Loop, cursors: Mapping[str, Any]) -> None:
    """Store (or replace) a loop's definition; its cursors restart from ``cursors``."""
    now = now_ms()
    with db.write() as conn:
        row = conn.execute(select(t.loops.c.cursors).where(t.loops.c.name == loop.name)).first()
        merged = {**dict(row.cursors), **dict(cursors)} if row is not None else dict(cursors)
        if row is None:
            conn.execute(t.loops.insert().values(
                name=loop.name, spec=loop.to_dict(), paused=False, cursors=merged,
                created_at=now, updated_at=now,
            ))  # fmt: skip
        else:
            conn.execute(
                update(t.loops).where(t.loops.c.name == loop.name)
                .values(spec=loop.to_dict(), cursors=merged, updated_at=now)
            )  # fmt: skip


def get_loop(db: Database, name: str) -> LoopInfo:
    """Return a stored loop.

    Raises:
        LoopNotFound: none by that name (the message lists the stored ones).
    """
    with db.read() as conn:
        row = conn.execute(select(t.loops).where(t.loops.c.name == name)).first()
    if row is None:
        names = [info.name for info in list_loops(db)]
        raise LoopNotFound(
            f"no loop {name!r}; stored loops: {names or 'none'}. Define one with "
            "lm.apply_loop(lm.Loop(...)) or `loopml loop apply loopml.yaml`"
        )
    return _info(row)


def list_loops(db: Database) -> list[LoopInfo]:
    """Every stored loop, by name."""
    with db.read() as conn:
        rows = conn.execute(select(t.loops).order_by(t.loops.c.name)).all()
    return [_info(r) for r in rows]


def _info(row: Any) -> LoopInfo:
    return LoopInfo(
        row.name, Loop.from_dict(row.spec), bool(row.paused), dict(row.cursors or {}),
        row.created_at, row.updated_at,
    )  # fmt: skip


def set_paused(db: Database, name: str, paused: bool) -> None:
    """Pause or resume a loop."""
    get_loop(db, name)
    with db.write() as conn:
        conn.execute(
            update(t.loops).where(t.loops.c.name == name)
            .values(paused=paused, updated_at=now_ms())
        )  # fmt: skip


def set_cursors(db: Database, name: str, cursors: Mapping[str, Any]) -> None:
    """Replace a loop's trigger cursors."""
    with db.write() as conn:
        conn.execute(update(t.loops).where(t.loops.c.name == name).values(cursors=dict(cursors)))


def delete_loop(db: Database, name: str) -> None:
    """Delete a loop (its runs and events are kept as history)."""
    get_loop(db, name)
    with db.write() as conn:
        conn.execute(t.loops.delete().where(t.loops.c.name == name))


# ---------------------------------------------------------------------- runs
def start_run(
    db: Database, loop: str, cause: Mapping[str, Any], *, holder: str | None, status: str
) -> LoopRun:
    """Insert a run in flight; at most one per loop (the unique ``active_key``).

    Raises:
        LoopBusy: the loop already has a run in flight.
    """
    now = now_ms()
    run_id = new_id()
    try:
        with db.write() as conn:
            conn.execute(t.loop_runs.insert().values(
                id=run_id, loop=loop, status=status, active_key=loop, cause=dict(cause),
                holder=holder, heartbeat_at=now, created_at=now, updated_at=now, state={},
            ))  # fmt: skip
    except sa_exc.IntegrityError:
        busy = active_run(db, loop)
        raise LoopBusy(
            f"loop {loop!r} already has run {busy.id if busy else '?'} in flight "
            f"({busy.status if busy else 'unknown'}); wait for it or check "
            f"`loopml loop show {loop}`"
        ) from None
    return get_run(db, run_id)


def update_run(db: Database, run_id: str, **values: Any) -> LoopRun:
    """Change a run's fields (``status=``, ``state=``...); an ending status frees the loop."""
    values["updated_at"] = now_ms()
    if values.get("status") in DONE:
        values["active_key"] = None
        values["ended_at"] = values["updated_at"]
    with db.write() as conn:
        conn.execute(update(t.loop_runs).where(t.loop_runs.c.id == run_id).values(**values))
    return get_run(db, run_id)


def heartbeat(db: Database, run_id: str, holder: str) -> None:
    """Mark a run as alive (held by ``holder``)."""
    with db.write() as conn:
        conn.execute(
            update(t.loop_runs)
            .where(t.loop_runs.c.id == run_id, t.loop_runs.c.active_key.is_not(None))
            .values(heartbeat_at=now_ms(), holder=holder)
        )


def claim_run(db: Database, run_id: str, holder: str, stale_before: int) -> bool:
    """Take over an active run whose heartbeat is older than ``stale_before`` (epoch ms)."""
    runs = t.loop_runs
    with db.write() as conn:
        row = conn.execute(
            update(runs)
            .where(runs.c.id == run_id, runs.c.active_key.is_not(None),
                   (runs.c.heartbeat_at.is_(None)) | (runs.c.heartbeat_at < stale_before))
            .values(holder=holder, heartbeat_at=now_ms())
            .returning(runs.c.id)
        ).first()  # fmt: skip
    return row is not None


def get_run(db: Database, run_id: str) -> LoopRun:
    """Return a run by id or unique prefix."""
    runs = t.loop_runs
    with db.read() as conn:
        rows = conn.execute(select(runs).where(runs.c.id.startswith(run_id)).limit(2)).all()
    if len(rows) != 1:
        what = "no" if not rows else "more than one"
        raise LoopRunNotFound(
            f"{what} loop run with id {run_id!r}; list them with `loopml loop show`"
        )
    return LoopRun.from_row(rows[0])


def list_runs(
    db: Database, loop: str | None = None, *, active: bool | None = None, limit: int = 50
) -> list[LoopRun]:
    """Runs, newest first (``active=True``: only runs in flight)."""
    runs = t.loop_runs
    query = select(runs).order_by(runs.c.created_at.desc(), runs.c.id.desc()).limit(limit)
    if loop is not None:
        query = query.where(runs.c.loop == loop)
    if active is True:
        query = query.where(runs.c.active_key.is_not(None))
    elif active is False:
        query = query.where(runs.c.active_key.is_(None))
    with db.read() as conn:
        return [LoopRun.from_row(r) for r in conn.execute(query).all()]


def active_run(db: Database, loop: str) -> LoopRun | None:
    """The loop's run in flight, if any."""
    found = list_runs(db, loop, active=True, limit=1)
    return found[0] if found else None


def last_started(db: Database, loop: str) -> int | None:
    """When the loop's newest run was created (epoch ms), if any."""
    found = list_runs(db, loop, limit=1)
    return found[0].created_at if found else None


# ---------------------------------------------------------------------- events
def add_event(
    db: Database,
    loop: str,
    kind: str,
    message: str,
    *,
    run_id: str | None = None,
    detail: Mapping[str, Any] | None = None,
) -> None:
    """Append one event to a loop's log."""
    with db.write() as conn:
        conn.execute(t.loop_events.insert().values(
            loop=loop, run_id=run_id, kind=kind[:32], at=now_ms(), message=message,
            detail=dict(detail or {}),
        ))  # fmt: skip


def list_events(
    db: Database, loop: str | None = None, *, run_id: str | None = None, limit: int = 200
) -> list[LoopEvent]:
    """Events, oldest first (the newest ``limit``)."""
    e = t.loop_events
    query = select(e).order_by(e.c.id.desc()).limit(limit)
    if loop is not None:
        query = query.where(e.c.loop == loop)
    if run_id is not None:
        query = query.where(e.c.run_id == run_id)
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [
        LoopEvent(r.id, r.loop, r.run_id, r.kind, r.at, r.message, dict(r.detail or {}))
        for r in reversed(rows)
    ]

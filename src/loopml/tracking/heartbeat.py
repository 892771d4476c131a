"""Run heartbeats: a run whose process died is marked FAILED ("heartbeat lost").

Every open run holds a lease, ``runs.alive_until`` (epoch ms). One daemon thread per
process renews the lease of each of its open runs every ``interval_s`` seconds, to
``now + timeout_s``. A RUNNING run whose lease has expired lost its process (SIGKILL, a
crash, a lost machine): :func:`mark_lost_runs` ends it FAILED with the error
``"heartbeat lost ..."``. Each run carries its own deadline, so processes with different
intervals share one database safely.

Lost runs are marked by the heartbeat thread of any live loopml process (each tick), and
by reads (``get_run``, ``search_runs``), at most every ``SWEEP_EVERY_S`` per process. If a
process was only frozen (its heartbeat came late), its next heartbeat brings the run back
to RUNNING.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import and_, or_, select, update

from loopml._utils.clock import now_ms
from loopml.errors import InvalidInput
from loopml.store.tables import tracking as t

if TYPE_CHECKING:
    from loopml.store.db import Database

logger = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_S = 10.0
HEARTBEAT_TIMEOUT_S = 60.0
SWEEP_EVERY_S = 5.0
LOST_ERROR = "heartbeat lost"
_LOST_DETAIL = (
    "heartbeat lost: the process recording this run stopped sending heartbeats and is "
    "presumed dead (killed, crashed or its machine lost); logged data up to the last flush "
    "is kept. Resume the run with lm.start_run(run_id=...) to log more."
)


@dataclass(frozen=True, slots=True)
class HeartbeatSettings:
    """How often open runs renew their lease, and how long a lease lasts.

    Args:
        interval_s: seconds between renewals.
        timeout_s: lease length; a run silent for this long is marked FAILED.
    """

    interval_s: float = HEARTBEAT_INTERVAL_S
    timeout_s: float = HEARTBEAT_TIMEOUT_S

    def __post_init__(self) -> None:
        if not 0 < self.interval_s < self.timeout_s:
            raise InvalidInput(
                f"heartbeat interval ({self.interval_s} s) must be positive and shorter than "
                f"the timeout ({self.timeout_s} s); e.g. interval 10 s, timeout 60 s"
            )

    def lease_until(self, now: int | None = None) -> int:
        """Return the lease deadline (epoch ms) of a renewal made ``now``."""
        return (now_ms() if now is None else now) + int(self.timeout_s * 1000)


def mark_lost_runs(db: Database, now: int | None = None) -> list[str]:
    """End FAILED every RUNNING run whose heartbeat lease expired; return their ids."""
    moment = now_ms() if now is None else now
    expired = and_(
        t.runs.c.status == "RUNNING",
        t.runs.c.alive_until.is_not(None),
        t.runs.c.alive_until < moment,
    )
    with db.read() as conn:
        found = list(conn.execute(select(t.runs.c.id).where(expired)).scalars())
    if not found:
        return []
    with db.write() as conn:
        conn.execute(
            update(t.runs)
            .where(expired, t.runs.c.id.in_(found))
            .values(status="FAILED", end_time=moment, error=_LOST_DETAIL)
        )
    for run_id in found:
        logger.warning("run %s lost its heartbeat; marked FAILED", run_id, extra={"run_id": run_id})
    return found


def renew(db: Database, run_ids: list[str], settings: HeartbeatSettings) -> None:
    """Renew the leases of live runs (and bring back runs wrongly marked lost)."""
    if not run_ids:
        return
    runs = t.runs.c
    with db.write() as conn:
        conn.execute(
            update(t.runs)
            .where(
                runs.id.in_(run_ids),
                or_(
                    runs.status == "RUNNING",
                    and_(runs.status == "FAILED", runs.error == _LOST_DETAIL),
                ),
            )
            .values(status="RUNNING", end_time=None, error=None, alive_until=settings.lease_until())
        )


@dataclass(slots=True)
class _Beat:
    db: Database
    settings: HeartbeatSettings
    due: float


class _Heart:
    """One daemon thread per process renewing the leases of its open runs."""

    def __init__(self) -> None:
        self._beats: dict[str, _Beat] = {}
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    def add(self, db: Database, run_id: str, settings: HeartbeatSettings) -> None:
        with self._lock:
            self._beats[run_id] = _Beat(db, settings, time.monotonic() + settings.interval_s)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="loopml-run-heartbeat", daemon=True
                )
                self._thread.start()

    def remove(self, run_id: str) -> None:
        with self._lock:
            self._beats.pop(run_id, None)

    def _loop(self) -> None:
        while True:
            with self._lock:
                due_at = min((b.due for b in self._beats.values()), default=None)
            wait = 1.0 if due_at is None else max(0.0, min(1.0, due_at - time.monotonic()))
            self._wake.wait(wait)
            self._wake.clear()
            try:
                self._tick()
            except Exception:  # the heartbeat must never kill the process
                logger.warning("run heartbeat failed; retrying", exc_info=True)

    def _tick(self) -> None:
        now = time.monotonic()
        groups: dict[tuple[int, HeartbeatSettings], tuple[Database, list[str]]] = {}
        with self._lock:
            for run_id, beat in self._beats.items():
                if beat.due <= now:
                    beat.due = now + beat.settings.interval_s
                    key = (id(beat.db), beat.settings)
                    groups.setdefault(key, (beat.db, []))[1].append(run_id)
        for (_, settings), (db, run_ids) in groups.items():
            renew(db, run_ids, settings)
        for db in {id(db): db for db, _ in groups.values()}.values():
            mark_lost_runs(db)


_HEART = _Heart()


def beat_for(db: Database, run_id: str, settings: HeartbeatSettings) -> None:
    """Keep renewing the lease of ``run_id`` from this process until :func:`stop`."""
    _HEART.add(db, run_id, settings)


def stop(run_id: str) -> None:
    """Stop renewing the lease of ``run_id`` (its run ended in this process)."""
    _HEART.remove(run_id)


class Sweeper:
    """Rate-limited :func:`mark_lost_runs` for read paths (at most every ``SWEEP_EVERY_S``)."""

    def __init__(self, db: Database, every_s: float = SWEEP_EVERY_S) -> None:
        self._db = db
        self._every_s = every_s
        self._next = 0.0

    def maybe_sweep(self) -> None:
        """Mark lost runs if the last sweep from this object is old enough."""
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + self._every_s
        mark_lost_runs(self._db)

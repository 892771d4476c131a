"""The scheduler: one process that runs every component's scheduled work, exactly once.

Sources of scheduled jobs (a stable protocol; monitors and pipelines use it)
----------------------------------------------------------------------------
Pipelines' own source is registered in ``loopml._registry.BUILTIN["scheduled_jobs"]``
(plug-ins add theirs through the ``loopml.backends`` entry-point group as
``scheduled_jobs.<name>``) as a ``"module:factory"`` string; sources of higher components
(monitors) are handed to the scheduler as factories by the client
(``client.scheduler()``), since pipelines never import them. The scheduler calls
``factory(store)`` once and then, on every pass, asks the source::

    class JobSource(Protocol):
        def due(self, now: datetime) -> Sequence[ScheduledJob]: ...
        def next_due(self, now: datetime) -> datetime | None: ...

    class ScheduledJob(Protocol):
        name: str            # unique per schedule, e.g. "pipeline:training", "monitor:churn"
        due_at: datetime     # the tick this job is for (aware UTC)
        def run(self) -> object: ...

``due(now)`` returns the jobs whose tick has come and has not been done yet (a source
may return the same tick again while it runs: the scheduler claims each
``(name, due_at)`` once in the ``schedule_ticks`` table before running it, so a tick
never runs twice, even with several schedulers). ``run()`` does the work and returns a
summary; an exception marks the tick FAILED and is logged.

Singleton
---------
Only the holder of the database lease ``loopml.scheduler`` runs jobs; other schedulers
stand by and take over when the holder stops renewing it (after ``lease_ttl``).
Jobs run on a small thread pool so a long pipeline never delays lease renewal. The
scheduler also starts runs queued by :func:`loopml.trigger_pipeline`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from sqlalchemy import update

from loopml import _registry
from loopml._utils.clock import now_ms, to_ms
from loopml._utils.ids import new_id
from loopml.pipelines.api import Pipelines, settings_for
from loopml.store import leases
from loopml.store.tables import pipelines as t

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from loopml.config import Settings
    from loopml.store import Store

logger = logging.getLogger(__name__)

LEASE_NAME = "loopml.scheduler"


class ScheduledJob(Protocol):
    """One due tick of some schedule."""

    @property
    def name(self) -> str:
        """Unique name of the schedule (``kind:name``)."""

    @property
    def due_at(self) -> dt.datetime:
        """The tick (aware UTC)."""

    def run(self) -> object:
        """Do the work; return a short summary."""


class JobSource(Protocol):
    """Something that knows which of its schedules are due."""

    def due(self, now: dt.datetime) -> Sequence[ScheduledJob]:
        """Jobs due at or before ``now`` that have not been done."""

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The next tick after ``now``, if any."""


@dataclass(frozen=True, slots=True)
class TickOutcome:
    """What the scheduler did with one claimed tick."""

    job: str
    due_at: dt.datetime
    status: str
    result: str | None = None


class Scheduler:
    """Runs due jobs of every registered source while holding the scheduler lease.

    Args:
        store: the store whose lease, ticks and jobs are used.
        holder: this scheduler's name in the lease (default: host, pid and a random part).
        lease_ttl: seconds a lease lasts without renewal.
        poll_interval: longest sleep between passes.
        sources: names of the sources to use (default: all registered and given).
        max_workers: jobs that may run at the same time.
        run_queued: also start runs queued by ``trigger_pipeline``.
        settings: settings for pipeline runs (default: derived from ``store``).
        job_sources: more sources, ``name -> factory(store)`` (the client hands over
            monitors'; ``client.scheduler()`` builds a scheduler with every source).
    """

    def __init__(
        self,
        store: Store,
        *,
        holder: str | None = None,
        lease_ttl: float = 30.0,
        poll_interval: float = 5.0,
        sources: Sequence[str] | None = None,
        max_workers: int = 4,
        run_queued: bool = True,
        settings: Settings | None = None,
        job_sources: Mapping[str, Callable[[Store], JobSource]] | None = None,
    ) -> None:
        self.store = store
        self.holder = holder or f"{socket.gethostname()}:{os.getpid()}:{new_id()[:6]}"
        self.lease_ttl = lease_ttl
        self.poll_interval = poll_interval
        self.sources = _open_sources(store, sources, job_sources or {})
        api = Pipelines(store, settings or settings_for(store))
        self.queued_runner: Callable[[], object] | None = api.run_queued if run_queued else None
        self._pool = ThreadPoolExecutor(max_workers, thread_name_prefix="loopml-scheduler")
        self._running: dict[str, Future[TickOutcome]] = {}
        self._queued: Future[object] | None = None
        self._stop = threading.Event()

    def __repr__(self) -> str:
        return f"Scheduler(holder={self.holder!r}, sources={sorted(self.sources)})"

    @property
    def is_leader(self) -> bool:
        """Whether this scheduler holds the lease right now."""
        return leases.holder_of(self.store.db, LEASE_NAME) == self.holder

    def tick(
        self, now: dt.datetime | None = None, *, wait: bool = False
    ) -> list[Future[TickOutcome]]:
        """One pass: renew the lease and start every due job; return their futures.

        Args:
            now: the time to evaluate schedules at (default: now).
            wait: wait for the started jobs (and queued runs) to finish.
        """
        moment = now or dt.datetime.now(dt.UTC)
        if not leases.acquire(self.store.db, LEASE_NAME, self.holder, self.lease_ttl):
            logger.info(
                "tick %s: standing by, %s holds the scheduler lease",
                moment.isoformat(timespec="seconds"),
                leases.holder_of(self.store.db, LEASE_NAME),
            )
            return []
        started = []
        due = 0
        for source_name, source in self.sources.items():
            try:
                jobs = list(source.due(moment))
            except Exception:
                logger.exception("scheduled job source %r failed to list due jobs", source_name)
                continue
            due += len(jobs)
            for job in jobs:
                if not self._may_start(job):
                    continue
                future = self._pool.submit(self._run_job, job)
                self._running[job.name] = future
                future.add_done_callback(self._forget(job.name))
                started.append(future)
        logger.info(
            "tick %s: %d due, %d started", moment.isoformat(timespec="seconds"), due, len(started)
        )
        self._start_queued()
        if wait:
            for future in started:
                future.result()
            if self._queued is not None:
                self._queued.result()
        return started

    def run_forever(self) -> None:
        """Run passes until :meth:`stop` is called (or the process is interrupted)."""
        logger.info("scheduler %s started with sources %s", self.holder, sorted(self.sources))
        try:
            while not self._stop.is_set():
                self.tick()
                self._stop.wait(self._sleep_time())
        finally:
            self.close()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return after the current pass."""
        self._stop.set()

    def close(self) -> None:
        """Wait for running jobs and give the lease up."""
        self._pool.shutdown(wait=True)
        leases.release(self.store.db, LEASE_NAME, self.holder)

    def next_due(self, now: dt.datetime | None = None) -> dt.datetime | None:
        """The earliest upcoming tick across all sources."""
        moment = now or dt.datetime.now(dt.UTC)
        ticks = []
        for source in self.sources.values():
            try:
                tick = source.next_due(moment)
            except Exception:
                logger.exception("scheduled job source failed to tell its next tick")
                continue
            if tick is not None:
                ticks.append(tick)
        return min(ticks, default=None)

    def _sleep_time(self) -> float:
        upcoming = self.next_due()
        if upcoming is None:
            return self.poll_interval
        wait_s = (upcoming - dt.datetime.now(dt.UTC)).total_seconds()
        return max(0.05, min(self.poll_interval, wait_s + 0.01))

    def _forget(self, name: str) -> Callable[[Future[TickOutcome]], None]:
        def forget(_future: Future[TickOutcome]) -> None:
            self._running.pop(name, None)

        return forget

    def _may_start(self, job: ScheduledJob) -> bool:
        tick = job.due_at.isoformat()
        if job.name in self._running:
            logger.info("skipping %s for %s: its previous tick is still running", job.name, tick)
            return False
        if not self._claim(job):
            logger.info("skipping %s for %s: this tick was already claimed", job.name, tick)
            return False
        return True

    def _claim(self, job: ScheduledJob) -> bool:
        # RETURNING, not rowcount: psycopg reports -1 for INSERT ... ON CONFLICT DO NOTHING
        stmt = self.store.db.upsert(t.schedule_ticks, ["job", "tick"], []).returning(
            t.schedule_ticks.c.job
        )
        with self.store.db.write() as conn:
            inserted = conn.execute(
                stmt,
                {
                    "job": job.name[:256],
                    "tick": to_ms(job.due_at),
                    "holder": self.holder[:256],
                    "claimed_at": now_ms(),
                    "status": "RUNNING",
                },
            ).first()
        return inserted is not None

    def _run_job(self, job: ScheduledJob) -> TickOutcome:
        logger.info("running %s for %s", job.name, job.due_at.isoformat())
        try:
            result: Any = job.run()
            status, text = "SUCCEEDED", _summary(result)
        except Exception as err:
            logger.exception("scheduled job %s failed", job.name)
            status, text = "FAILED", repr(err)
        logger.info("finished %s for %s: %s %s", job.name, job.due_at.isoformat(), status, text)
        ticks = t.schedule_ticks
        with self.store.db.write() as conn:
            conn.execute(
                update(ticks)
                .where(ticks.c.job == job.name[:256], ticks.c.tick == to_ms(job.due_at))
                .values(status=status, finished_at=now_ms(), result=text[:4000])
            )
        return TickOutcome(job.name, job.due_at, status, text)

    def _start_queued(self) -> None:
        if self.queued_runner is None or (self._queued is not None and not self._queued.done()):
            return
        self._queued = self._pool.submit(self._run_queued)

    def _run_queued(self) -> object:
        try:
            assert self.queued_runner is not None
            return self.queued_runner()
        except Exception:
            logger.exception("running queued pipeline runs failed")
            return None


def _open_sources(
    store: Store,
    names: Sequence[str] | None,
    given: Mapping[str, Callable[[Store], JobSource]],
) -> dict[str, JobSource]:
    chosen = sorted({*_registry.names("scheduled_jobs"), *given}) if names is None else names
    sources = {}
    for name in chosen:
        try:
            factory = given.get(name) or _registry.load("scheduled_jobs", name)
            sources[name] = factory(store)
        except Exception:
            if names is not None:
                raise
            logger.exception("cannot open scheduled job source %r; skipping it", name)
    return sources


def _summary(result: object) -> str:
    status, ident = getattr(result, "status", None), getattr(result, "id", None)
    if status is None or ident is None:
        return repr(result)[:200]
    return f"{status} {ident}"

"""When monitors are due (pure), and the loop that runs them under a database lease."""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import threading
import uuid
from typing import TYPE_CHECKING

from loopml.store import leases

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.monitoring.records import MonitorInfo, WindowResult
    from loopml.store.db import Database

logger = logging.getLogger(__name__)
LEASE = "loopml.monitoring.runner"


def last_tick(monitor: MonitorInfo, now: dt.datetime) -> dt.datetime:
    """The latest scheduled evaluation time at or before ``now`` (UTC).

    With a cron ``schedule`` that is its latest fire time; without one, the latest multiple
    of the window length since the epoch (hourly windows end on the hour).
    """
    now = now.astimezone(dt.UTC)
    if monitor.schedule:
        from croniter import croniter

        probe = now + dt.timedelta(microseconds=1)
        tick: dt.datetime = croniter(monitor.schedule, probe).get_prev(dt.datetime)
        return tick.astimezone(dt.UTC)
    step = monitor.window.total_seconds()
    seconds = (now.timestamp() // step) * step
    return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)


def next_tick(monitor: MonitorInfo, now: dt.datetime) -> dt.datetime:
    """The first scheduled evaluation time after ``now`` (UTC)."""
    now = now.astimezone(dt.UTC)
    if monitor.schedule:
        from croniter import croniter

        tick: dt.datetime = croniter(monitor.schedule, now).get_next(dt.datetime)
        return tick.astimezone(dt.UTC)
    return last_tick(monitor, now) + monitor.window


def holder_id() -> str:
    """An id for this process, for leases."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_forever(
    db: Database,
    run_due: Callable[[dt.datetime], list[WindowResult]],
    next_due: Callable[[dt.datetime], dt.datetime | None],
    *,
    stop: threading.Event | None = None,
    poll_s: float = 30.0,
    lease_ttl_s: float = 90.0,
) -> None:
    """Run due monitors until ``stop`` is set; only the holder of the runner lease acts.

    Several copies may run (for availability); the database lease makes sure one of them
    evaluates each tick. Errors are logged, never raised: the loop keeps going.
    """
    stop = stop or threading.Event()
    holder = holder_id()
    try:
        while not stop.is_set():
            wait = poll_s
            try:
                if leases.acquire(db, LEASE, holder, lease_ttl_s):
                    now = dt.datetime.now(dt.UTC)
                    run_due(now)
                    upcoming = next_due(now)
                    if upcoming is not None:
                        wait = min(
                            poll_s, max((upcoming - dt.datetime.now(dt.UTC)).total_seconds(), 0.05)
                        )
            except Exception:  # the runner must survive any one bad tick
                logger.exception("monitor runner tick failed; retrying in %.0f s", poll_s)
            stop.wait(wait)
    finally:
        leases.release(db, LEASE, holder)

"""Monitors as a source of scheduled jobs for the ``loopml scheduler``.

The client hands ``monitor_jobs`` to the scheduler (``client.scheduler()``), which calls
it with its store and asks the source which jobs are due; each job evaluates the
latest tick of one monitor (see :meth:`loopml.monitoring.Monitoring.run_due`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopml.monitoring.api import Monitoring

if TYPE_CHECKING:
    import datetime as dt

    from loopml.monitoring.records import WindowResult
    from loopml.store import Store


@dataclass(frozen=True, slots=True)
class MonitorJob:
    """One due evaluation: monitor ``monitor`` for the window ending at ``due_at``."""

    name: str
    monitor: str
    due_at: dt.datetime
    source: MonitorJobs

    def run(self) -> WindowResult:
        """Evaluate the window and store its result (never raises for a bad window)."""
        return self.source.monitoring.run(self.monitor, at=self.due_at)


class MonitorJobs:
    """The due monitor evaluations of one store."""

    def __init__(self, store: Store) -> None:
        self.monitoring = Monitoring(store)

    def due(self, now: dt.datetime) -> list[MonitorJob]:
        """Jobs whose latest scheduled tick at or before ``now`` has no result yet."""
        return [
            MonitorJob(f"monitor:{name}", name, tick, self)
            for name, tick in self.monitoring.due_ticks(now)
        ]

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest scheduled tick after ``now`` among unpaused monitors."""
        return self.monitoring.next_due(now)


def monitor_jobs(store: Store) -> MonitorJobs:
    """Return the monitors' job source for ``store`` (the registered factory)."""
    return MonitorJobs(store)

"""Scheduled pipelines as a source of jobs for the ``loopml scheduler``.

Registered as ``_registry.BUILTIN["scheduled_jobs"]["pipelines"]``. Each registered
pipeline with an enabled schedule is due at its latest cron tick that is newer than its
registration and has not been claimed yet (ticks are claimed in ``schedule_ticks``, so
a tick runs once even with several schedulers). Missed ticks are not replayed: after a
downtime only the latest one runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select

from loopml._utils.clock import to_ms
from loopml.pipelines import records, schedules
from loopml.pipelines.api import Pipelines, settings_for
from loopml.store.tables import pipelines as t

if TYPE_CHECKING:
    import datetime as dt

    from loopml.config import Settings
    from loopml.pipelines.entities import PipelineInfo, PipelineRunInfo
    from loopml.store import Store


@dataclass(frozen=True, slots=True)
class PipelineJob:
    """Run scheduled pipeline ``pipeline`` for the tick ``due_at``."""

    name: str
    pipeline: str
    due_at: dt.datetime
    source: PipelineJobs

    def run(self) -> PipelineRunInfo:
        """Run the pipeline with its default parameters (never raises for a failed run)."""
        api = self.source.api
        return api.run(
            self.pipeline,
            raise_on_error=False,
            trigger="schedule",
            trigger_info={"tick": self.due_at.isoformat()},
        ).info


class PipelineJobs:
    """The due scheduled pipelines of one store."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.api = Pipelines(store, settings or settings_for(store))

    def due(self, now: dt.datetime) -> list[PipelineJob]:
        """Scheduled pipelines whose latest tick at or before ``now`` is unclaimed."""
        jobs = []
        for info in self._scheduled():
            tick = schedules.previous_tick(info.schedule or "", now, info.timezone)
            if to_ms(tick) <= info.created_at or self._claimed(job_name(info.name), tick):
                continue
            jobs.append(PipelineJob(job_name(info.name), info.name, tick, self))
        return jobs

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The earliest tick after ``now`` among scheduled pipelines."""
        ticks = [
            schedules.next_tick(info.schedule or "", now, info.timezone)
            for info in self._scheduled()
        ]
        return min(ticks, default=None)

    def _scheduled(self) -> list[PipelineInfo]:
        return [
            p
            for p in records.list_pipelines(self.api.store.db)
            if p.schedule and p.schedule_enabled and p.target
        ]

    def _claimed(self, job: str, tick: dt.datetime) -> bool:
        ticks = t.schedule_ticks
        with self.api.store.db.read() as conn:
            found = conn.execute(
                select(ticks.c.job).where(ticks.c.job == job, ticks.c.tick == to_ms(tick))
            ).first()
        return found is not None


def job_name(pipeline: str) -> str:
    """The scheduler job name of a pipeline."""
    return f"pipeline:{pipeline}"


def pipeline_jobs(store: Store) -> PipelineJobs:
    """Return the scheduled pipelines of ``store`` (the registered factory)."""
    return PipelineJobs(store)

"""Loops as a source of scheduled jobs: they run unattended inside ``loopml scheduler``.

The client hands ``loop_jobs`` to the scheduler as source ``loops``
(``client.scheduler()``). Only the scheduler that
holds the lease asks for due jobs, and each ``(job, tick)`` is claimed once in the
database, so two schedulers never fire a loop twice; a run in flight is also unique per
loop in the database. Jobs:

* ``loop:<name>``: some trigger fired; check and start a run (cooldown, dedup apply).
* ``loop-run:<id>``: a run queued by a manual or HTTP trigger, or left behind by a
  scheduler that died (heartbeat too old): take it over and drive it to its end.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopml.ci import ModelCI
from loopml.data import Datasets
from loopml.features.api import FeatureStore
from loopml.loop.api import Loops
from loopml.loop.runner import Parts
from loopml.loop.training_data import LazyFeatures
from loopml.models import Models
from loopml.monitoring import Monitoring
from loopml.pipelines.api import Pipelines, settings_for
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.loop.records import LoopRun
    from loopml.store import Store


@dataclass(frozen=True, slots=True)
class LoopJob:
    """Fire loop ``loop`` (``run_id`` is ``None``) or drive run ``run_id``."""

    name: str
    due_at: dt.datetime
    source: LoopJobs
    loop: str | None = None
    run_id: str | None = None

    def run(self) -> LoopRun | None:
        """Do it; a failed step ends the run as FAILED (recorded), never raises."""
        if self.run_id is not None:
            return self.source.loops.recover(self.run_id)
        assert self.loop is not None
        return self.source.loops.fire(self.loop)


def build_parts(store: Store, settings: Settings | None = None) -> Parts:
    """The component APIs over one store (for processes without a client)."""
    models = Models(store)
    datasets = Datasets(store)
    pipelines = Pipelines(store, settings or settings_for(store))
    resolved = settings or settings_for(store)
    return Parts(store, models, datasets, Monitoring(store), pipelines,
                 ModelCI(store, models, datasets), EventLog.from_store(store),
                 LazyFeatures(lambda: FeatureStore(_Host(store, resolved))))  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Host:
    """What a feature store needs of a client: the store and the settings."""

    store: Store
    settings: Settings


class LoopJobs:
    """The due loop work of one store."""

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.loops = Loops(build_parts(store, settings))

    def due(self, now: dt.datetime) -> list[LoopJob]:
        """Stale or queued runs to take over, and loops whose triggers fired."""
        jobs = [
            LoopJob(f"loop-run:{run.id}", _at(run.heartbeat_at or run.created_at), self,
                    run_id=run.id)
            for run in self.loops.stale_runs(now)
        ]  # fmt: skip
        for info in self.loops.list():
            if info.paused:
                continue
            firings = self.loops.pending(info.name, now)
            if firings:
                jobs.append(LoopJob(f"loop:{info.name}", _at(firings[0].at), self, loop=info.name))
        return jobs

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """Loops are checked on every scheduler pass (alerts and labels arrive any time)."""
        return None


def _at(ms: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def loop_jobs(store: Store) -> LoopJobs:
    """Return the loops' job source for ``store`` (the registered factory)."""
    return LoopJobs(store)

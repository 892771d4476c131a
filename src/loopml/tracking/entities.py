"""Read-only views of tracking data: experiments, runs, metric points and artifacts."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Literal

from loopml._utils.clock import ms_to_datetime

if TYPE_CHECKING:
    import datetime as dt

RunStatus = Literal["RUNNING", "FINISHED", "FAILED", "KILLED"]
TERMINAL_STATUSES: frozenset[str] = frozenset({"FINISHED", "FAILED", "KILLED"})


@dataclass(frozen=True, slots=True)
class Experiment:
    """A named group of runs."""

    id: int
    name: str
    description: str | None
    created_at: int
    deleted_at: int | None = None

    @property
    def is_deleted(self) -> bool:
        """Whether the experiment was deleted (its runs stay readable)."""
        return self.deleted_at is not None


@dataclass(frozen=True, slots=True)
class Metric:
    """One metric point."""

    key: str
    value: float
    step: int
    timestamp: int


@dataclass(frozen=True, slots=True)
class ArtifactInfo:
    """An artifact of a run: its path in the run and the blob that holds it."""

    path: str
    digest: str
    size: int
    media_type: str
    created_at: int


@dataclass(frozen=True, slots=True)
class RunInfo:
    """Everything recorded about a run, as read from the store."""

    id: str
    experiment_id: int
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None
    user: str
    parent_id: str | None = None
    pipeline_run_id: str | None = None
    step_name: str | None = None
    source: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    git_dirty: bool | None = None
    git_diff_digest: str | None = None
    env_digest: str | None = None
    python_version: str | None = None
    platform: str | None = None
    seed: int | None = None
    error: str | None = None
    deleted_at: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def started(self) -> dt.datetime | None:
        """Start time as an aware UTC datetime."""
        return ms_to_datetime(self.start_time)

    @property
    def ended(self) -> dt.datetime | None:
        """End time as an aware UTC datetime (``None`` while running)."""
        return ms_to_datetime(self.end_time)

    @property
    def duration_s(self) -> float | None:
        """Wall time of the run in seconds (``None`` while running)."""
        if self.end_time is None:
            return None
        return (self.end_time - self.start_time) / 1000

    @property
    def is_finished(self) -> bool:
        """Whether the run has ended (FINISHED, FAILED or KILLED)."""
        return self.status in TERMINAL_STATUSES

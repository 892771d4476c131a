"""Records of pipelines, pipeline runs and step runs (frozen dataclasses, never ORM rows)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: statuses that end a step run
STEP_DONE = frozenset({"SUCCEEDED", "CACHED", "FAILED", "SKIPPED", "CANCELLED"})
#: statuses that end a pipeline run
RUN_DONE = frozenset({"SUCCEEDED", "FAILED", "CANCELLED"})


@dataclass(frozen=True, slots=True)
class PipelineInfo:
    """A registered pipeline: where its code lives, its schedule and default params."""

    name: str
    target: str | None
    description: str | None
    schedule: str | None
    timezone: str
    schedule_enabled: bool
    params: dict[str, Any]
    created_at: int
    updated_at: int
    graph: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class StepRunInfo:
    """One step of one pipeline run.

    ``status`` is PENDING, RUNNING, SUCCEEDED, CACHED (outputs reused from the step run
    ``cached_from``), FAILED, SKIPPED (an upstream step failed) or CANCELLED. ``inputs``
    maps argument names to artifact digests; ``outputs`` lists the stored artifacts.
    """

    id: str
    pipeline_run_id: str
    name: str
    step: str
    function: str
    status: str
    position: int
    upstream: list[str]
    attempt: int
    attempts: list[dict[str, Any]]
    cache_key: str | None
    cache_parts: dict[str, Any] | None
    cache_note: str | None
    cached_from: str | None
    run_id: str | None
    inputs: dict[str, Any]
    outputs: list[dict[str, Any]]
    logs_digest: str | None
    start_time: int | None
    end_time: int | None
    error: str | None

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time) / 1000


@dataclass(frozen=True, slots=True)
class PipelineRunInfo:
    """One run of a pipeline, with its steps in graph order."""

    id: str
    pipeline: str
    status: str
    params: dict[str, Any]
    executor: str
    cache: bool
    trigger: str
    trigger_info: dict[str, Any] | None
    resumed_from: str | None
    target: str | None
    graph: dict[str, Any] | None
    outputs: Any
    run_id: str | None
    created_at: int
    start_time: int | None
    end_time: int | None
    cancel_requested: bool
    error: str | None
    steps: tuple[StepRunInfo, ...] = field(default_factory=tuple)

    @property
    def duration_s(self) -> float | None:
        """Seconds from start to end, when both are known."""
        if self.start_time is None or self.end_time is None:
            return None
        return (self.end_time - self.start_time) / 1000

    @property
    def is_done(self) -> bool:
        """Whether the run has ended."""
        return self.status in RUN_DONE

    def step(self, name: str) -> StepRunInfo:
        """Return the step run called ``name``.

        Raises:
            KeyError: no such step in this run.
        """
        for step in self.steps:
            if step.name == name:
                return step
        raise KeyError(name)

    def counts(self) -> dict[str, int]:
        """Number of steps per status."""
        out: dict[str, int] = {}
        for step in self.steps:
            out[step.status] = out.get(step.status, 0) + 1
        return out

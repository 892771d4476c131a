"""What running and inspecting pipelines hands back: finished runs and cache explanations."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loopml.pipelines.api import Pipelines
    from loopml.pipelines.entities import PipelineRunInfo, StepRunInfo


class PipelineRun:
    """A finished pipeline run: its record plus access to its outputs."""

    def __init__(self, info: PipelineRunInfo, api: Pipelines) -> None:
        self.info = info
        self._api = api

    def __repr__(self) -> str:
        counts = ", ".join(f"{k.lower()}={v}" for k, v in sorted(self.info.counts().items()))
        return (
            f"PipelineRun(id={self.id!r}, pipeline={self.info.pipeline!r}, "
            f"status={self.status!r}, {counts})"
        )

    @property
    def id(self) -> str:
        """The pipeline run id."""
        return self.info.id

    @property
    def status(self) -> str:
        """SUCCEEDED, FAILED or CANCELLED."""
        return self.info.status

    @property
    def steps(self) -> tuple[StepRunInfo, ...]:
        """The step runs in graph order."""
        return self.info.steps

    def step(self, name: str) -> StepRunInfo:
        """Return the step run called ``name``."""
        return self._api.step(self.info, name)

    @property
    def outputs(self) -> Any:
        """What the pipeline function returned, with step outputs loaded from the store."""
        return self._api.load_outputs(self.info.outputs)

    def load(self, step: str, output: str | None = None) -> Any:
        """Load one output of a step of this run."""
        return self._api.load_output(self.info.id, step, output)


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a step of a run was (or was not) served from the cache."""

    step: str
    status: str
    cache_key: str | None
    note: str | None
    compared_with: str | None
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        lines = [f"step {self.step}: {self.status}", f"  cache key: {self.cache_key or '-'}"]
        if self.note:
            lines.append(f"  decision:  {self.note}")
        if self.compared_with is not None:
            lines.append(f"  compared with step run {self.compared_with[:12]}:")
            lines += [f"    - {reason}" for reason in self.reasons] or ["    - same key"]
        return "\n".join(lines)

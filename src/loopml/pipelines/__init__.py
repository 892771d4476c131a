"""Workflow orchestration: typed steps, DAG pipelines, caching, executors, schedules.

Example:
    >>> import loopml as lm
    >>> @lm.step
    ... def load(n: int) -> list[int]:
    ...     return list(range(n))
    >>> @lm.step
    ... def total(values: list[int]) -> int:
    ...     return sum(values)
    >>> @lm.pipeline
    ... def summing(n: int = 4):
    ...     return total(load(n))
    >>> summing.run(n=5).outputs  # doctest: +SKIP
    10

Scheduled work of other components joins the ``loopml scheduler`` as job sources that
the client hands over; the protocol is documented in :mod:`loopml.pipelines.scheduler`.
"""

from __future__ import annotations

from loopml.pipelines.api import Pipelines
from loopml.pipelines.definition import Pipeline, pipeline
from loopml.pipelines.entities import PipelineInfo, PipelineRunInfo, StepRunInfo
from loopml.pipelines.errors import (
    CycleError,
    NoMaterializer,
    ParamTypeError,
    PipelineDefinitionError,
    PipelineNotFound,
    PipelineRunFailed,
    PipelineRunNotFound,
    PipelineRunNotResumable,
    StepRunNotFound,
    StepTimeout,
)
from loopml.pipelines.executors import Executor, open_executor
from loopml.pipelines.materializers import (
    FunctionMaterializer,
    Materializer,
    register_materializer,
    unregister_materializer,
)
from loopml.pipelines.results import Explanation, PipelineRun
from loopml.pipelines.runner import RunEvent
from loopml.pipelines.scheduler import JobSource, ScheduledJob, Scheduler
from loopml.pipelines.steps import Step, step

__all__ = [
    "CycleError",
    "Executor",
    "Explanation",
    "FunctionMaterializer",
    "JobSource",
    "Materializer",
    "NoMaterializer",
    "ParamTypeError",
    "Pipeline",
    "PipelineDefinitionError",
    "PipelineInfo",
    "PipelineNotFound",
    "PipelineRun",
    "PipelineRunFailed",
    "PipelineRunInfo",
    "PipelineRunNotFound",
    "PipelineRunNotResumable",
    "Pipelines",
    "RunEvent",
    "ScheduledJob",
    "Scheduler",
    "Step",
    "StepRunInfo",
    "StepRunNotFound",
    "StepTimeout",
    "open_executor",
    "pipeline",
    "register_materializer",
    "step",
    "unregister_materializer",
]

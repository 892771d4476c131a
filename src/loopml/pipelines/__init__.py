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

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.pipelines.api import Pipelines as Pipelines
    from loopml.pipelines.definition import Pipeline as Pipeline, pipeline as pipeline
    from loopml.pipelines.entities import (
        PipelineInfo as PipelineInfo,
        PipelineRunInfo as PipelineRunInfo,
        StepRunInfo as StepRunInfo,
    )
    from loopml.pipelines.errors import (
        CycleError as CycleError,
        NoMaterializer as NoMaterializer,
        ParamTypeError as ParamTypeError,
        PipelineDefinitionError as PipelineDefinitionError,
        PipelineNotFound as PipelineNotFound,
        PipelineRunFailed as PipelineRunFailed,
        PipelineRunNotFound as PipelineRunNotFound,
        PipelineRunNotResumable as PipelineRunNotResumable,
        StepRunNotFound as StepRunNotFound,
        StepTimeout as StepTimeout,
    )
    from loopml.pipelines.executors import Executor as Executor, open_executor as open_executor
    from loopml.pipelines.materializers import (
        FunctionMaterializer as FunctionMaterializer,
        Materializer as Materializer,
        register_materializer as register_materializer,
        unregister_materializer as unregister_materializer,
    )
    from loopml.pipelines.results import Explanation as Explanation, PipelineRun as PipelineRun
    from loopml.pipelines.runner import RunEvent as RunEvent
    from loopml.pipelines.scheduler import (
        JobSource as JobSource,
        ScheduledJob as ScheduledJob,
        Scheduler as Scheduler,
    )
    from loopml.pipelines.steps import Step as Step, step as step
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

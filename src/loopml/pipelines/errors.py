"""Errors of the pipelines component (each derives from a class in :mod:`loopml.errors`).

Hierarchy::

    InvalidInput (422)
    ├── PipelineDefinitionError      a pipeline or step is declared or wired wrongly
    │   └── CycleError               the step graph has a cycle
    ├── ParamTypeError               a parameter has the wrong type
    └── NoMaterializer               a step returned a type no materializer can store
    NotFound (404)
    ├── PipelineNotFound
    ├── PipelineRunNotFound
    └── StepRunNotFound
    Conflict (409)
    └── PipelineRunNotResumable
    LoopmlError (500)
    ├── StepTimeout                  a step ran past its ``timeout``
    └── PipelineRunFailed            a run ended FAILED or CANCELLED (carries ``run``)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.errors import Conflict, InvalidInput, LoopmlError, NotFound

if TYPE_CHECKING:
    from loopml.pipelines.entities import PipelineRunInfo


class PipelineDefinitionError(InvalidInput):
    """A pipeline or step is declared or wired in a way loopml cannot run."""


class CycleError(PipelineDefinitionError):
    """The step graph has a cycle."""


class ParamTypeError(InvalidInput):
    """A parameter or step argument does not match its annotation."""


class NoMaterializer(InvalidInput):
    """A step returned (or was given) a value that no materializer can store."""


class PipelineNotFound(NotFound):
    """No pipeline with this name is registered."""


class PipelineRunNotFound(NotFound):
    """No pipeline run with this id."""


class StepRunNotFound(NotFound):
    """No step with this name in the pipeline run."""


class PipelineRunNotResumable(Conflict):
    """The pipeline run cannot be resumed (it succeeded or is still running)."""


class StaleStepCode(LoopmlError):
    """A worker's copy of a step is not the code the pipeline run was planned with."""

    http_status = 409


class StepTimeout(LoopmlError):
    """A step ran longer than its ``timeout``."""


class PipelineRunFailed(LoopmlError):
    """A pipeline run ended FAILED or CANCELLED; ``run`` holds its record."""

    def __init__(self, message: str, run: PipelineRunInfo) -> None:
        super().__init__(message)
        self.run = run

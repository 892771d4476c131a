"""Run-lifecycle hooks: components announce runs starting and ending to whoever listens.

Tracking (runs) and pipelines (pipeline runs, step runs) call :func:`notify` when a run
starts or ends; the :class:`~loopml.client.Client` registers listeners on the store it
opens (the OpenLineage emitter of :mod:`loopml.lineage.openlineage`), so components
never reach up. With no listener, a call site costs one attribute read
(``if store.hooks:``) and builds nothing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from loopml.store import Store

logger = logging.getLogger(__name__)

RunKind = Literal["run", "pipeline_run", "step_run"]
RunState = Literal["START", "COMPLETE", "FAIL", "ABORT"]

#: Final status of a tracked run, pipeline run or step run -> lifecycle state.
STATES: dict[str, RunState] = {
    "FINISHED": "COMPLETE",
    "SUCCEEDED": "COMPLETE",
    "CACHED": "COMPLETE",
    "FAILED": "FAIL",
    "KILLED": "ABORT",
    "CANCELLED": "ABORT",
}


@dataclass(frozen=True, slots=True)
class LifecycleEvent:
    """A run of some kind started or ended.

    Attributes:
        kind: ``run`` (tracked run), ``pipeline_run`` or ``step_run``.
        id: the run's id (32 hex digits).
        state: ``START``, ``COMPLETE``, ``FAIL`` or ``ABORT``.
        time_ms: when, in epoch milliseconds.
        name: what ran (the experiment and run name, the pipeline, ``pipeline.step``).
        parent: ``(kind, id)`` of the enclosing run, if any.
        details: kind-specific facts (params, error, input and output digests...).
    """

    kind: RunKind
    id: str
    state: RunState
    time_ms: int
    name: str
    parent: tuple[str, str] | None = None
    details: Mapping[str, Any] = field(default_factory=dict)


def notify(store: Store, event: LifecycleEvent) -> None:
    """Hand ``event`` to every listener of ``store``; a failing listener is logged, never raised."""
    listeners: list[Callable[[LifecycleEvent], None]] = store.hooks
    for listener in listeners:
        try:
            listener(event)
        except Exception:  # a listener must never break a run
            logger.warning(
                "lifecycle listener %r failed on %s %s %s",
                listener,
                event.kind,
                event.id,
                event.state,
                exc_info=True,
            )

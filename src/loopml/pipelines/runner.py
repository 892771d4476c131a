"""Drive one pipeline run: decide what runs, what is cached, what is skipped; record it all.

The driver walks the graph in waves. For every step whose inputs are ready it computes
the cache key, reuses a cached (or resumed) result when the key matches, or submits the
step to the executor. Each wave's metadata is written in one transaction; a step's
completion (status, outputs, blobs, lineage) is written in one transaction too, so the
record of a failed or interrupted run is always complete up to what happened.
"""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import FIRST_COMPLETED, Future, wait
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import now_ms
from loopml.pipelines import cache_keys, records
from loopml.pipelines.freshness import loaded_code
from loopml.pipelines.graph import OutputRef
from loopml.pipelines.plan import Planner, StepState
from loopml.pipelines.recorder import Recorder
from loopml.pipelines.worker import StepResult, StepTask

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.config import Settings
    from loopml.pipelines.definition import Pipeline
    from loopml.pipelines.entities import PipelineRunInfo
    from loopml.pipelines.executors import Executor
    from loopml.pipelines.graph import Graph
    from loopml.store import Store

logger = logging.getLogger(__name__)

CANCEL_POLL_S = 0.5


@dataclass(frozen=True, slots=True)
class RunEvent:
    """Progress of a run, for progress displays (``kind``: started, step, finished)."""

    kind: str
    pipeline_run_id: str
    step: str | None = None
    status: str | None = None
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class RunRequest:
    """What to run and how."""

    pipeline: Pipeline
    graph: Graph
    params: dict[str, Any]
    cache: bool = True
    trigger: str = "manual"
    trigger_info: dict[str, Any] | None = None
    resume_from: PipelineRunInfo | None = None
    run_id: str | None = None
    on_event: Callable[[RunEvent], None] | None = None


class Runner:
    """Runs one :class:`RunRequest` on an executor against a store."""

    def __init__(
        self, store: Store, settings: Settings, executor: Executor, request: RunRequest
    ) -> None:
        self.store = store
        self.settings = settings
        self.executor = executor
        self.request = request
        self.recorder = Recorder(store, request, executor.name)
        self.planner = Planner(store, request, cache_keys.CodeHasher())
        self.running: dict[Future[StepResult], StepState] = {}
        self._last_poll = time.monotonic()
        self._cancelled = False

    @property
    def run_id(self) -> str:
        """The pipeline run id."""
        return self.recorder.run_id

    def run(self) -> PipelineRunInfo:
        """Execute the whole run and return its final record."""
        states = self.planner.states
        self.recorder.start(states)
        self._emit("started")
        try:
            self._loop()
        except KeyboardInterrupt:
            self._cancel("interrupted (KeyboardInterrupt)")
            self._finish()
            raise
        except BaseException as err:
            self._cancel(f"the driver failed: {err!r}")
            self._finish(error=repr(err))
            raise
        return self._finish()

    def _loop(self) -> None:
        while True:
            if self._cancel_requested():
                self._cancel("cancelled on request")
                return
            tasks = self._schedule_wave()
            for state, task in tasks:
                self.running[self.executor.submit(task)] = state
            if not self.running:
                if not self.planner.ready():
                    return
                continue
            done, _ = wait(list(self.running), timeout=CANCEL_POLL_S, return_when=FIRST_COMPLETED)
            for future in done:
                self._complete(self.running.pop(future), future)
            self.recorder.flush()

    def _schedule_wave(self) -> list[tuple[StepState, StepTask]]:
        tasks = []
        while True:
            ready = self.planner.ready()
            if not ready:
                break
            decisions = self.planner.decide(ready)
            for state in ready:
                decision = decisions[state.position]
                if decision.cached is not None:
                    self.planner.cached(state, decision.cached["outputs"])
                    self.recorder.cached(state, decision)
                    self._emit("step", state.name, "CACHED")
                elif decision.error is not None:
                    self.recorder.failed_before_start(state, decision.error)
                    self._skip_downstream(state)
                    self._emit("step", state.name, "FAILED")
                else:
                    self.recorder.running(state, decision)
                    tasks.append((state, self._task(state, decision.args)))
                    self._emit("step", state.name, "RUNNING")
            if tasks:
                break
        self.recorder.flush()
        return tasks

    def _task(self, state: StepState, args: dict[str, Any]) -> StepTask:
        in_process = self.executor.in_process
        return StepTask(
            pipeline=self.request.pipeline.name,
            pipeline_run_id=self.run_id,
            step_run_id=state.id,
            name=state.name,
            step=state.node.step,
            args=args,
            params=state.loggable_params,
            experiment=self.request.pipeline.experiment,
            parent_run_id=self.recorder.tracking_run_id,
            settings=None if in_process else self.settings,
            keep_values=in_process,
            code=None if in_process else loaded_code(state.node.step.fn),
        )

    def _complete(self, state: StepState, future: Future[StepResult]) -> None:
        try:
            result = future.result()
        except BaseException as err:  # the executor lost the task (worker died, cancelled)
            result = StepResult("FAILED", state.started_at or now_ms(), now_ms(), error=repr(err))
        self.planner.completed(state, result)
        self.recorder.completed(state, result)
        if result.status != "SUCCEEDED":
            self._skip_downstream(state)
        self._emit("step", state.name, result.status)

    def _skip_downstream(self, state: StepState) -> None:
        for skipped in self.planner.skip_downstream(state):
            self.recorder.skipped(skipped, state.name)
            self._emit("step", skipped.name, "SKIPPED")

    def _cancel_requested(self) -> bool:
        if time.monotonic() - self._last_poll < CANCEL_POLL_S:
            return False
        self._last_poll = time.monotonic()
        return records.is_cancel_requested(self.store.db, self.run_id)

    def _cancel(self, reason: str) -> None:
        self._cancelled = True
        self.executor.cancel()
        for state in self.planner.unfinished():
            state.status = "CANCELLED"
            self.recorder.cancelled(state, reason)
        self.running.clear()
        self.recorder.flush()

    def _finish(self, error: str | None = None) -> PipelineRunInfo:
        statuses = {s.status for s in self.planner.states}
        if self._cancelled:
            status = "CANCELLED"
        elif error is not None or statuses & {"FAILED", "SKIPPED", "CANCELLED"}:
            status = "FAILED"
        else:
            status = "SUCCEEDED"
        outputs = _outputs_json(self.request.graph.outputs, self.planner)
        info = self.recorder.finish(status, outputs, error or self._first_error())
        self._emit("finished", status=status)
        return info

    def _first_error(self) -> str | None:
        for state in self.planner.states:
            if state.status == "FAILED":
                return f"step {state.name!r} failed:\n{state.error or ''}"
        return None

    def _emit(self, kind: str, step: str | None = None, status: str | None = None) -> None:
        callback = self.request.on_event
        if callback is None:
            return
        states = self.planner.states
        done = sum(1 for s in states if s.is_done)
        try:
            callback(RunEvent(kind, self.run_id, step, status, done, len(states)))
        except Exception:  # a broken progress display must not break the run
            logger.warning("pipeline progress callback failed", exc_info=True)


def _outputs_json(value: Any, planner: Planner) -> Any:
    if value is None:
        return None
    if isinstance(value, OutputRef):
        state = planner.states[value.node]
        if state.outputs is None:
            return None
        ref = state.outputs[value.index or 0]
        return {"$artifact": ref, "step": state.name}
    if isinstance(value, list | tuple):
        return [_outputs_json(v, planner) for v in value]
    if isinstance(value, dict):
        return {str(k): _outputs_json(v, planner) for k, v in value.items()}
    try:
        json.dumps(value)
    except (TypeError, ValueError):
        return repr(value)
    return value

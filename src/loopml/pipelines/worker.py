"""Run one step attempt-by-attempt wherever an executor puts it (this process or another).

:func:`execute_task` loads the step's inputs from the artifact store (or takes them from
memory when it runs in the driver's process), starts the step's tracking run so the step
can log metrics, calls the function with retries, backoff and a timeout, captures its
prints and logs, materializes its outputs and returns a :class:`StepResult`. It never
raises for a failing step: the failure and its traceback are part of the result.
"""

from __future__ import annotations

import contextvars
import ctypes
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml import _hooks
from loopml._utils.clock import now_ms
from loopml.errors import ArtifactNotFound, BlobCorrupted, NotFound
from loopml.models.writer import log_model
from loopml.pipelines import logs, materializers
from loopml.pipelines.errors import NoMaterializer, ParamTypeError, StaleStepCode, StepTimeout
from loopml.pipelines.freshness import fresh_step
from loopml.store import Store
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.pipelines.freshness import LoadedCode
    from loopml.pipelines.steps import Step
    from loopml.tracking import Run

_MISSING: Any = object()
_STORES: dict[tuple[str, str], Store] = {}
_STORES_LOCK = threading.Lock()
#: errors that another attempt cannot fix
_FINAL = (NoMaterializer, ParamTypeError, ArtifactNotFound, BlobCorrupted, StaleStepCode)


@dataclass(slots=True)
class ArtifactIn:
    """An input of a step: the stored artifact, and its value when already in memory."""

    ref: dict[str, Any]
    producer: str
    value: Any = _MISSING

    def __getstate__(self) -> tuple[dict[str, Any], str]:
        return self.ref, self.producer  # values never travel to other processes

    def __setstate__(self, state: tuple[dict[str, Any], str]) -> None:
        self.ref, self.producer = state
        self.value = _MISSING


@dataclass(slots=True)
class StepTask:
    """Everything a worker needs to run one step."""

    pipeline: str
    pipeline_run_id: str
    step_run_id: str
    name: str
    step: Step
    args: dict[str, Any]
    params: dict[str, Any]
    experiment: str
    parent_run_id: str | None
    settings: Settings | None
    keep_values: bool = False
    #: the code the driver hashed into the cache key; a worker checks it runs the same
    code: LoadedCode | None = None


@dataclass(slots=True)
class StepResult:
    """What happened when a step ran."""

    status: str
    start_time: int
    end_time: int
    run_id: str | None = None
    outputs: list[dict[str, Any]] = field(default_factory=list)
    values: list[Any] | None = None
    attempts: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    logs_digest: str | None = None
    blobs: list[dict[str, Any]] = field(default_factory=list)


def execute_task(task: StepTask, store: Store | None = None) -> StepResult:
    """Run ``task`` and report the outcome (never raises for a failing step)."""
    if store is None:
        store = worker_store(task.settings)
    started = now_ms()
    with logs.capture() as buffer:
        result = _execute(task, store, started)
    text = buffer.getvalue()
    if text:
        ref = store.blobs.put_bytes(text.encode(), "text/plain")
        result.logs_digest = ref.digest
        result.blobs.append({"digest": ref.digest, "size": ref.size, "media_type": ref.media_type})
    return result


def _execute(task: StepTask, store: Store, started: int) -> StepResult:
    result = StepResult("FAILED", started, started)
    run = None
    try:
        if task.code is not None:
            task.step = fresh_step(task.step, task.code)
        kwargs = {name: _resolve(value, task, store, name) for name, value in task.args.items()}
        for name, value in kwargs.items():
            task.step.check_arg(name, value)
        # In the driver's process the pipeline's run is the active run, so nesting finds
        # the parent without reading it back; elsewhere the parent is named explicitly.
        run = Tracking(store, log_model=log_model).start_run(
            task.experiment,
            _run_name(task),
            pipeline_run_id=task.pipeline_run_id,
            step_name=task.name,
            parent_id=None if task.keep_values else task.parent_run_id,
            nested=task.keep_values,
            capture=False,
            params=task.params or None,
            tags=task.step.options.tags or None,
        )
        result.run_id = run.id
        value = _attempts(task, kwargs, result)
        if result.error is None:
            _materialize(task, store, value, result, run)
            result.status = "SUCCEEDED"
    except Exception as err:
        result.error = result.error or _format(err)
    result.end_time = now_ms()
    if run is not None:
        run.end("FINISHED" if result.status == "SUCCEEDED" else "FAILED", error=result.error)
    return result


def _attempts(task: StepTask, kwargs: dict[str, Any], result: StepResult) -> Any:
    options = task.step.options
    for attempt in range(1, options.retries + 2):
        if attempt > 1:
            time.sleep(options.delay_before(attempt))
        begun = now_ms()
        try:
            value = _call(task.step, kwargs, options.timeout)
        except Exception as err:
            text = _format(err)
            result.attempts.append(
                {"attempt": attempt, "start": begun, "end": now_ms(), "error": text}
            )
            retryable = isinstance(err, options.retry_on) and not isinstance(err, _FINAL)
            if not retryable or attempt == options.retries + 1:
                result.error = text
                return None
            continue
        result.attempts.append({"attempt": attempt, "start": begun, "end": now_ms(), "error": None})
        return value
    return None


def _call(step: Step, kwargs: dict[str, Any], timeout: float | None) -> Any:
    if timeout is None:
        return step.fn(**kwargs)
    outcome: dict[str, Any] = {}
    context = contextvars.copy_context()

    def target() -> None:
        try:
            outcome["value"] = context.run(step.fn, **kwargs)
        except BaseException as err:  # handed back to the caller's thread
            outcome["error"] = err

    thread = threading.Thread(target=target, name=f"loopml-step-{step.name}", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        _interrupt(thread)
        raise StepTimeout(
            f"step {step.name!r} ran longer than its timeout of {timeout:g} s; raise the timeout "
            "with @lm.step(timeout=...) or make the step faster"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


def _interrupt(thread: threading.Thread) -> None:
    """Ask an abandoned step thread to stop at its next Python instruction."""
    if thread.ident is not None and thread.is_alive():
        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(thread.ident), ctypes.py_object(StepTimeout)
        )


def _materialize(task: StepTask, store: Store, value: Any, result: StepResult, run: Run) -> None:
    step = task.step
    if step.n_outputs > 1:
        if not isinstance(value, tuple | list) or len(value) != step.n_outputs:
            raise ParamTypeError(
                f"step {task.name!r} declares {step.n_outputs} outputs {list(step.output_names)} "
                f"but returned {type(value).__name__}; return a tuple of {step.n_outputs} values"
            )
        values = list(value)
    else:
        step.check_output(value)
        values = [value]
    for name, item in zip(step.output_names, values, strict=True):
        materializer = materializers.for_value(item, f"output {name!r} of step {task.name!r}")
        kind = type(item)
        output: dict[str, Any] = {
            "name": name,
            "materializer": materializer.name,
            "type": f"{kind.__module__}.{kind.__qualname__}",
        }
        if isinstance(materializer, materializers.StoreMaterializer):
            output.update(materializer.save_to(store, item, run, f"outputs/{name}"))
        else:
            ref = store.blobs.put_bytes(materializer.save(item), materializer.media_type)
            blob = {"digest": ref.digest, "size": ref.size, "media_type": ref.media_type}
            output.update(blob)
            result.blobs.append(blob)
        result.outputs.append(output)
    if task.keep_values:
        result.values = values


def _resolve(value: Any, task: StepTask, store: Store, arg: str) -> Any:
    if isinstance(value, ArtifactIn):
        if value.value is _MISSING:
            value.value = load_artifact(
                store, value.ref, f"input {arg!r} of step {task.name!r}", value.producer
            )
        return value.value
    if isinstance(value, list):
        return [_resolve(v, task, store, arg) for v in value]
    if isinstance(value, tuple):
        return tuple(_resolve(v, task, store, arg) for v in value)
    if isinstance(value, dict):
        return {k: _resolve(v, task, store, arg) for k, v in value.items()}
    return value


def load_artifact(store: Store, ref: dict[str, Any], what: str, producer: str = "") -> Any:
    """Load a stored step output with its materializer.

    Raises:
        ArtifactNotFound: the blob was deleted from the artifact store.
    """
    materializer = materializers.by_name(ref["materializer"])
    try:
        if isinstance(materializer, materializers.StoreMaterializer):
            return materializer.load_from(store, ref)
        data = store.blobs.get_bytes(ref["digest"])
    except NotFound as err:
        source = f" (output {ref.get('name', 'output')!r} of step {producer!r})" if producer else ""
        raise ArtifactNotFound(
            f"{what}: artifact {ref['digest']}{source} is missing from the artifact store "
            f"{store.blobs.backend.url}; re-run the producing step with cache disabled "
            "(loopml pipelines run --no-cache) to create it again"
        ) from err
    return materializer.load(data)


def worker_store(settings: Settings | None) -> Store:
    """Return this process's store for ``settings`` (opened once, reused by later tasks)."""
    if settings is None:
        raise ValueError("a task without settings must be executed with an explicit store")
    key = (settings.db_url, settings.artifacts)
    with _STORES_LOCK:
        if key not in _STORES:
            _STORES[key] = Store.from_settings(settings)
            _use_as_default(settings)
        return _STORES[key]


def _use_as_default(settings: Settings) -> None:
    """Point ``lm.*`` calls inside steps at the pipeline's store in worker processes."""
    _hooks.default_client(settings)  # builds it from these settings unless one exists


def _run_name(task: StepTask) -> str:
    return f"{task.pipeline}.{task.name}"[:256]


def _format(err: BaseException) -> str:
    return "".join(traceback.format_exception(type(err), err, err.__traceback__))

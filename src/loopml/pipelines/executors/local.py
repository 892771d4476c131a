"""Executors on this machine: in-process sequential, a thread pool and a process pool."""

from __future__ import annotations

import multiprocessing
import os
import pickle
import sys
from concurrent.futures import Future, ProcessPoolExecutor, ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput
from loopml.pipelines.worker import StepResult, StepTask, execute_task

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.store import Store


def cpu_count() -> int:
    """CPUs this process may use (respects affinity masks and container limits)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _workers(argument: str, kind: str) -> int:
    if not argument:
        return cpu_count()
    try:
        count = int(argument)
    except ValueError:
        count = 0
    if count < 1:
        raise InvalidInput(f"{kind}:{argument} needs a positive number of workers, like {kind}:4")
    return count


class LocalExecutor:
    """Run each step in this process, one at a time, when it is submitted.

    Best for debugging (breakpoints and ``pdb`` work) and for many tiny steps.
    """

    in_process = True

    def __init__(self, argument: str, store: Store, settings: Settings) -> None:
        self.name = "local"
        self.store = store

    def submit(self, task: StepTask) -> Future[StepResult]:
        """Run ``task`` now and return a finished future."""
        future: Future[StepResult] = Future()
        future.set_result(execute_task(task, self.store))
        return future

    def cancel(self) -> None:
        """Nothing runs in the background."""

    def close(self) -> None:
        """Nothing to release."""


class ThreadExecutor:
    """Run steps on a pool of threads in this process (good for I/O and GIL-free code)."""

    in_process = True

    def __init__(self, argument: str, store: Store, settings: Settings) -> None:
        workers = _workers(argument, "threads")
        self.name = f"threads:{workers}"
        self.store = store
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="loopml-step")

    def submit(self, task: StepTask) -> Future[StepResult]:
        """Queue ``task`` on the pool."""
        return self._pool.submit(execute_task, task, self.store)

    def cancel(self) -> None:
        """Drop queued tasks (running ones finish)."""
        self._pool.shutdown(wait=False, cancel_futures=True)

    def close(self) -> None:
        """Wait for running tasks and stop the threads."""
        self._pool.shutdown(wait=True, cancel_futures=True)


class ProcessExecutor:
    """Run steps in a pool of worker processes (default: one per CPU).

    Steps travel by reference (module and name), so define them at module level; with
    ``cloudpickle`` installed (it comes with the ``dask`` extra) steps defined anywhere work.
    Workers open the store from the run's settings and reuse it for later tasks.
    """

    in_process = False

    def __init__(self, argument: str, store: Store, settings: Settings) -> None:
        workers = _workers(argument, "process")
        self.name = f"process:{workers}"
        method = "forkserver" if sys.platform.startswith("linux") else "spawn"
        context = multiprocessing.get_context(method)
        self._pool = ProcessPoolExecutor(workers, mp_context=context)

    def submit(self, task: StepTask) -> Future[StepResult]:
        """Send ``task`` to a worker process."""
        return self._pool.submit(run_pickled, dumps(task))

    def cancel(self) -> None:
        """Drop queued tasks and stop the worker processes."""
        processes = list(getattr(self._pool, "_processes", {}).values())
        self._pool.shutdown(wait=False, cancel_futures=True)
        for process in processes:
            process.terminate()

    def close(self) -> None:
        """Stop the worker processes."""
        self._pool.shutdown(wait=True, cancel_futures=True)


def dumps(task: StepTask) -> bytes:
    """Pickle a task, by value where plain pickle cannot (needs cloudpickle)."""
    try:
        return pickle.dumps(task, protocol=5)
    except (pickle.PicklingError, AttributeError, TypeError) as err:
        try:
            import cloudpickle  # type: ignore[import-untyped]
        except ModuleNotFoundError:
            raise InvalidInput(
                f"step {task.name!r} cannot be sent to a worker process ({err}); define it at "
                "module level or install cloudpickle (pip install 'loopml[dask]')"
            ) from err
        data: bytes = cloudpickle.dumps(task, protocol=5)
        return data


def run_pickled(data: bytes) -> StepResult:
    """Worker-side entry point: unpickle a task and run it."""
    task: Any = pickle.loads(data)
    return execute_task(task)

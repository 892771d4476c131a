"""Executors: where steps run. One method matters: ``submit(task) -> Future[StepResult]``.

The package ``loopml.pipelines.executors`` re-exports these names lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from loopml import _registry
from loopml.errors import UnknownBackend

if TYPE_CHECKING:
    from concurrent.futures import Future

    from loopml.config import Settings
    from loopml.pipelines.worker import StepResult, StepTask
    from loopml.store import Store


@runtime_checkable
class Executor(Protocol):
    """Runs step tasks and hands back futures of their results.

    Attributes:
        name: how runs record the executor (``local``, ``process:4``, ``dask://...``).
        in_process: tasks run in the driver's process, sharing its store and memory
            (then inputs are passed as objects instead of being loaded again).
    """

    name: str
    in_process: bool

    def submit(self, task: StepTask) -> Future[StepResult]:
        """Start ``task``; the future resolves to its :class:`StepResult`."""

    def cancel(self) -> None:
        """Stop pending and (where possible) running tasks."""

    def close(self) -> None:
        """Release workers, pools and clients this executor created."""


def open_executor(spec: Any, store: Store, settings: Settings) -> Executor:
    """Return the executor ``spec`` names (a string, a Dask client, or an Executor).

    Raises:
        UnknownBackend: the name or scheme is not known.
    """
    if isinstance(spec, Executor):
        return spec
    if not isinstance(spec, str):
        if hasattr(spec, "scheduler_info") and hasattr(spec, "submit"):
            factory = _registry.load("executors", "dask")
            return factory(spec, store, settings)  # type: ignore[no-any-return]
        raise UnknownBackend(
            f"executor must be a name such as 'local', 'process', 'dask://host:8786', a "
            f"distributed.Client or an Executor, not {type(spec).__name__}"
        )
    text = spec.strip()
    if "://" in text:
        kind, argument = _registry.scheme_of(text), text
    else:
        kind, _, argument = text.partition(":")
    try:
        target = _registry.lookup("executors", kind.lower())
    except UnknownBackend as err:
        raise UnknownBackend(
            f"unknown executor {spec!r}; use 'local', 'threads[:N]', 'process[:N]', "
            "'dask://host:8786' or 'dask'"
        ) from err
    return _registry.import_target(target)(argument, store, settings)  # type: ignore[no-any-return]

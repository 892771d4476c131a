"""Executors: where steps run. One method matters: ``submit(task) -> Future[StepResult]``.

Built in (chosen by ``executor=`` or ``LOOPML_EXECUTOR``):

=================== ===========================================================
``local``           in this process, one step at a time (the default; debuggers work)
``threads[:N]``     in this process, N threads (default: CPU count)
``process[:N]``     a local process pool, N processes (default: CPU count)
``dask://host:port`` a Dask distributed scheduler (``tcp://`` works too), or pass a
                    ``distributed.Client``; ``dask`` alone starts a local cluster
=================== ===========================================================

A new backend is one class implementing :class:`Executor` plus one line in
``_registry.BUILTIN["executors"]``; ``loopml.testing.executors`` holds the contract tests.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.pipelines.executors.base import Executor as Executor, open_executor as open_executor
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

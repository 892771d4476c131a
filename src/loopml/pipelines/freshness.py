"""Make a long-lived worker run the code the driver planned with, never a stale import.

A Dask worker (or any process that outlives one pipeline run) keeps the modules it
imported. When the user edits a step, the driver computes a new cache key from the new
code, but the worker's ``sys.modules`` still holds the old function. The source on disk
cannot tell them apart (``inspect.getsource`` reads the edited file for the old function
too), so both sides hash the *compiled* code they hold, with the helpers it calls. On a
mismatch the worker re-imports the modules involved and checks again; a step whose code
still differs fails with a clear error instead of running other code under the new key.
"""

from __future__ import annotations

import importlib
import logging
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml._utils.hashing import digest_json
from loopml.pipelines import cache_keys
from loopml.pipelines.errors import StaleStepCode
from loopml.pipelines.steps import Step, load_step

if TYPE_CHECKING:
    from types import ModuleType

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class LoadedCode:
    """The compiled code a process holds for a step: its own and its helpers' digests."""

    python: str
    own: str
    helpers: dict[str, str]

    @property
    def digest(self) -> str:
        """One digest over the step's and its helpers' compiled code."""
        return digest_json({"own": self.own, "helpers": self.helpers})


class _CompiledHasher(cache_keys.CodeHasher):
    """Hash what is loaded (bytecode), not what the file on disk says now."""

    def _own_digest(self, obj: Any) -> str:
        return cache_keys.compiled_digest(obj)


def loaded_code(fn: Any) -> LoadedCode:
    """Return the :class:`LoadedCode` of a step function in this process."""
    found = _CompiledHasher().digest(fn)
    return LoadedCode(_python(), found.own, found.helpers)


def fresh_step(step: Step, expected: LoadedCode) -> Step:
    """Return ``step`` if it is the code the driver holds, else a re-imported one.

    Raises:
        StaleStepCode: even after re-importing, this process's code differs.
    """
    if expected.python != _python():
        return step  # bytecode of two Python versions cannot be compared
    found = loaded_code(step.fn)
    if found.digest == expected.digest:
        return step
    logger.info("step %s: code changed since this process imported it; re-importing", step.name)
    importlib.invalidate_caches()
    for module in _modules_to_reload(step, expected, found):
        importlib.reload(module)
    reloaded = load_step(step.fn.__module__, step.fn.__qualname__)
    again = loaded_code(reloaded.fn)
    if again.digest != expected.digest:
        changed = cache_keys.differences(
            {"code": again.own, "helpers": again.helpers},
            {"code": expected.own, "helpers": expected.helpers},
        )
        raise StaleStepCode(
            f"step {step.name!r} ({step.function}) on this worker is not the code the pipeline "
            f"was planned with ({'; '.join(changed) or 'the code differs'}). Make the worker see "
            "the same files as the driver (same checkout or package version), then resume."
        )
    return reloaded


def _python() -> str:
    return f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}"


def _modules_to_reload(step: Step, expected: LoadedCode, found: LoadedCode) -> list[ModuleType]:
    labels = set(expected.helpers) ^ set(found.helpers)
    labels |= {
        name for name, digest in expected.helpers.items() if found.helpers.get(name) != digest
    }
    names = {step.fn.__module__}
    for label in labels:
        names |= {name for name in list(sys.modules) if label.startswith(f"{name}.")}
    modules = [sys.modules[name] for name in sorted(names) if name in sys.modules]
    # helpers first, the step's own module last, so it binds the fresh helpers
    return sorted(modules, key=lambda module: module.__name__ == step.fn.__module__)

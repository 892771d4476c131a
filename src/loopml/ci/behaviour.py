"""Behavioural tests: plain user functions ``test(model)`` run against a challenger.

A test fails when it raises (an ``assert``) or returns ``False``; anything else passes.
Tests are given as callables or as ``"module:function"`` import paths (for loopml.yaml).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Callable


def test_name(test: Callable[[Any], object] | str) -> str:
    """The import path of a test (``module:function``), or the string itself."""
    if isinstance(test, str):
        return test
    module = getattr(test, "__module__", None)
    name = getattr(test, "__qualname__", None) or getattr(test, "__name__", repr(test))
    return f"{module}:{name}" if module else str(name)


def resolve(test: Callable[[Any], object] | str) -> Callable[[Any], object]:
    """Import a test given as ``module:function``."""
    if callable(test):
        return test
    if ":" not in test:
        raise InvalidInput(f"behavioural test {test!r} must be 'module:function'")
    found = _registry.import_target(test)
    if not callable(found):
        raise InvalidInput(f"behavioural test {test!r} is not a function")
    return found  # type: ignore[no-any-return]


def run_behaviour(test: Callable[[Any], object] | str, model: Any) -> dict[str, Any]:
    """Run one test; return ``test``, ``passed``, ``message`` (and ``traceback``)."""
    name = test_name(test)
    try:
        outcome = resolve(test)(model)
    except AssertionError as err:
        return {"test": name, "passed": False, "message": str(err) or "assertion failed",
                "traceback": traceback.format_exc()}  # fmt: skip
    except Exception as err:
        return {"test": name, "passed": False, "message": f"{type(err).__name__}: {err}",
                "traceback": traceback.format_exc()}  # fmt: skip
    if outcome is False:
        return {"test": name, "passed": False, "message": "returned False"}
    return {"test": name, "passed": True, "message": "passed"}

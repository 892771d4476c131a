"""``forward``: a module-level function with the signature and docstring of a method."""

from __future__ import annotations

import functools
import inspect
from typing import TYPE_CHECKING, ParamSpec, TypeVar

from loopml.errors import NoActiveRun

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Concatenate

    from loopml.tracking import Run

P = ParamSpec("P")
R = TypeVar("R")
T = TypeVar("T")


def forward(
    method: Callable[Concatenate[T, P], R],
    owner: Callable[[], T],
    *,
    name: str | None = None,
) -> Callable[P, R]:
    """Return a function that calls ``method`` on ``owner()``, with its signature and doc.

    The call looks the method up by name on ``owner()``, so any implementation of the
    component API (local or remote) serves it.

    Args:
        method: the component method, unbound (``Serving.serve``).
        owner: returns the object to call it on (``lambda: get_client().serving``).
        name: the public name, when it differs from the method's (``run_monitor``).

    Example:
        >>> serve = forward(Serving.serve, serving)  # doctest: +SKIP
    """

    attribute = method.__name__

    def call(*args: P.args, **kwargs: P.kwargs) -> R:
        # By name, not `method(owner(), ...)`: the owner may be another implementation of
        # the same API (a remote client's RemoteTracking in place of Tracking).
        bound: Callable[P, R] = getattr(owner(), attribute)
        return bound(*args, **kwargs)

    functools.update_wrapper(call, method)
    signature = inspect.signature(method)
    call.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=list(signature.parameters.values())[1:]
    )
    call.__name__ = call.__qualname__ = name or method.__name__
    call.__module__ = owner.__module__
    return call


def require_run() -> Run:
    """Return the innermost active run, or raise :class:`~loopml.errors.NoActiveRun`."""
    from loopml.tracking import active_run  # imported on use: `loopml serve` never needs it

    run = active_run()
    if run is None:
        raise NoActiveRun(
            "no active run; start one with `with lm.start_run('experiment') as run:` first"
        )
    return run

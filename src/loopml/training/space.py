"""Search spaces: what users write, turned into Optuna distributions (pure, no I/O).

A space maps each parameter name to one of:

* ``(low, high)`` of ints: an integer range; of floats: a float range;
* ``(low, high, "log")``: the same on a log scale;
* a list: a categorical choice (``["adam", "sgd"]``);
* an Optuna distribution (``optuna.distributions.FloatDistribution(0, 1, step=0.1)``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Mapping

    from optuna.distributions import BaseDistribution


def distributions(space: Mapping[str, Any]) -> dict[str, BaseDistribution]:
    """Return the Optuna distribution of every parameter of ``space``.

    Raises:
        InvalidInput: a parameter's range is empty, reversed or of an unknown kind.
    """
    from optuna.distributions import (
        BaseDistribution,
        CategoricalDistribution,
        FloatDistribution,
        IntDistribution,
    )

    if not space:
        raise InvalidInput("the search space is empty; pass e.g. {'lr': (1e-4, 1e-1, 'log')}")
    found: dict[str, BaseDistribution] = {}
    for name, spec in space.items():
        if isinstance(spec, BaseDistribution):
            found[name] = spec
        elif isinstance(spec, list):
            if not spec:
                raise InvalidInput(f"parameter {name!r} has an empty list of choices")
            found[name] = CategoricalDistribution(spec)
        elif isinstance(spec, tuple) and len(spec) in {2, 3}:
            low, high = spec[0], spec[1]
            log = len(spec) == 3 and spec[2] == "log"
            if len(spec) == 3 and not log:
                raise InvalidInput(
                    f"parameter {name!r}: the third item must be 'log', not {spec[2]!r}"
                )
            if not (isinstance(low, int | float) and isinstance(high, int | float)) or low >= high:
                raise InvalidInput(
                    f"parameter {name!r} has range {spec!r}; write (low, high) with low < high"
                )
            if log and low <= 0:
                raise InvalidInput(f"parameter {name!r}: a log range needs low > 0, not {low!r}")
            if isinstance(low, int) and isinstance(high, int):
                found[name] = IntDistribution(low, high, log=log)
            else:
                found[name] = FloatDistribution(float(low), float(high), log=log)
        else:
            raise InvalidInput(
                f"parameter {name!r} has spec {spec!r}; use (low, high), (low, high, 'log'), "
                "a list of choices or an optuna distribution"
            )
    return found


def describe(space: Mapping[str, Any]) -> dict[str, str]:
    """Return a readable form of each parameter's distribution (logged on the study run)."""
    return {name: repr(dist) for name, dist in distributions(space).items()}

"""Objectives importable by worker processes and Dask workers."""

from __future__ import annotations

import os


def quadratic(trial) -> float:
    return (trial.params["x"] - 2.0) ** 2 + (0.0 if trial.params.get("kind", "a") == "a" else 1.0)


def dies_at_third(trial) -> float:
    """Kill the process (no cleanup) on trial 3 unless told to survive."""
    if trial.number == 3 and not os.environ.get("LOOPML_TEST_SURVIVE"):
        os._exit(9)
    return (trial.params["x"] - 1.0) ** 2

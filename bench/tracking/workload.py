"""The T1/T2 tracking workload of BENCHMARKS.md, bit-identical to the peers' generator.

Same seed and the same draws as ``shared/peers/tracking/workload.py``, so loopml and
MLflow log exactly the same data; ``t2_expected`` is the exact search answer.
"""

from __future__ import annotations

import math
import random

SEED = 20240601
N_POINTS = 10_000
N_PARAMS = 100
N_RUNS = 2_000
N_SEARCHES = 20
SEARCH_LIMIT = 100
EXPERIMENT_T1 = "t1_logging"
EXPERIMENT_T2 = "t2_search"
MODELS = ["gbm", "rf", "logreg", "svm", "mlp"]
SEARCH_FILTER = "metrics.acc > 0.9 and params.model = 'gbm'"


def t1_params() -> dict[str, str]:
    """100 string params."""
    rng = random.Random(SEED)
    return {f"p{i:03d}": f"{rng.random():.6f}" for i in range(N_PARAMS)}


def t1_series(n: int = N_POINTS) -> list[tuple[int, float]]:
    """A decaying noisy loss curve as (step, value)."""
    rng = random.Random(SEED + 1)
    return [(i, 2.0 * math.exp(-i / 2500.0) + 0.05 * rng.random()) for i in range(n)]


def t2_runs(n: int = N_RUNS) -> list[dict]:
    """Runs with 5 params and 5 final metrics each."""
    rng = random.Random(SEED + 2)
    runs = []
    for i in range(n):
        params = {
            "model": MODELS[rng.randrange(len(MODELS))],
            "lr": f"{10 ** rng.uniform(-4, -1):.6f}",
            "depth": str(rng.randrange(2, 12)),
            "seed": str(rng.randrange(1_000_000)),
            "feature_set": f"fs{rng.randrange(10)}",
        }
        metrics = {
            "acc": round(rng.uniform(0.5, 1.0), 6),
            "f1": round(rng.uniform(0.4, 1.0), 6),
            "auc": round(rng.uniform(0.5, 1.0), 6),
            "loss": round(rng.uniform(0.01, 2.0), 6),
            "latency_ms": round(rng.uniform(1, 50), 3),
        }
        runs.append({"name": f"run-{i:05d}", "params": params, "metrics": metrics})
    return runs


def t2_expected(runs: list[dict] | None = None, limit: int = SEARCH_LIMIT) -> list[str]:
    """Expected run names of the T2 search, in order (ties by name)."""
    runs = runs if runs is not None else t2_runs()
    hits = [r for r in runs if r["metrics"]["acc"] > 0.9 and r["params"]["model"] == "gbm"]
    hits.sort(key=lambda r: (-r["metrics"]["acc"], r["name"]))
    return [r["name"] for r in hits[:limit]]

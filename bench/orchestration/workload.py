"""O1/O2 user code, identical to the peers' harness (shared/peers/orchestration/workload.py).

O1: source -> 98 x fan(seed, i) -> sink(list of 98 arrays): 100 trivial steps.
O2: sklearn load_diabetes -> split -> 4 x RandomForest (parallel steps) -> evaluate each
    -> pick the best (lowest MSE). The plain-Python version is the floor.
"""

from __future__ import annotations

import json
import time

import numpy as np

N_FAN = 98
ARRAY_LEN = 16
O1_EXPECTED = float(sum(range(N_FAN)) * ARRAY_LEN)  # 76048.0
HYPERPARAMS = [
    {"n_estimators": 100, "max_depth": 2},
    {"n_estimators": 100, "max_depth": 4},
    {"n_estimators": 100, "max_depth": 8},
    {"n_estimators": 100, "max_depth": None},
]
SEED = 0


def source() -> int:
    return 0


def fan(seed: int, i: int) -> np.ndarray:
    return np.full(ARRAY_LEN, float(seed + i), dtype=np.float64)


def sink(arrays) -> float:
    return float(np.sum([np.asarray(a).sum() for a in arrays]))


def o2_load():
    from sklearn.datasets import load_diabetes

    return load_diabetes(return_X_y=True)


def o2_split(x, y):
    from sklearn.model_selection import train_test_split

    return train_test_split(x, y, test_size=0.25, random_state=SEED)


def o2_train(x_train, y_train, params: dict):
    from sklearn.ensemble import RandomForestRegressor

    model = RandomForestRegressor(random_state=SEED, n_jobs=1, **params)
    model.fit(x_train, y_train)
    return model


def o2_evaluate(model, x_test, y_test) -> float:
    from sklearn.metrics import mean_squared_error

    return float(mean_squared_error(y_test, model.predict(x_test)))


def o2_pick_best(scores) -> int:
    return int(np.argmin(scores))


def emit(**fields) -> None:
    """Print one result line (the peers' harness contract: ``RESULT {json}``)."""
    print("RESULT " + json.dumps(fields, default=str), flush=True)


class Timer:
    def __enter__(self):
        self.start = time.perf_counter()
        self.cpu = time.process_time()
        return self

    def __exit__(self, *exc):
        self.s = time.perf_counter() - self.start
        self.cpu_s = time.process_time() - self.cpu

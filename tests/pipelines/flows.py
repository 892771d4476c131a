"""Pipelines used by the tests (module level, so worker processes can import them)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np
import pandas as pd

import loopml as lm


@lm.step
def make_frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n, dtype=float) * 2})


@lm.step(outputs=("train", "test"))
def split(frame: pd.DataFrame, fraction: float = 0.5):
    cut = int(len(frame) * fraction)
    return frame.iloc[:cut], frame.iloc[cut:]


@lm.step
def fit(train: pd.DataFrame, scale: float) -> dict:
    lm.log_metric("rows", len(train))
    print(f"fitting with scale {scale}")
    return {"slope": float((train["y"] / train["x"].replace(0, np.nan)).mean()) * scale}


@lm.step
def score(model: dict, test: pd.DataFrame) -> float:
    return float(model["slope"] * test["x"].sum())


@lm.step
def best(scores: list[float]) -> int:
    return int(np.argmax(scores))


@lm.pipeline
def training(n: int = 10, scales: list[float] = [1.0, 2.0, 3.0]):  # noqa: B006
    train, test = split(make_frame(n))
    scores = [score(fit(train, s), test) for s in scales]
    return best(scores)


# ---------------------------------------------------------------- failures and retries
@lm.step
def boom(x: int) -> int:
    raise ValueError(f"boom on {x}")


@lm.step
def maybe_boom(x: int, flag: str) -> int:
    if Path(flag).exists():
        raise RuntimeError("flag file present")
    return x + 1


@lm.step
def plus_one(x: int) -> int:
    return x + 1


@lm.step
def total(values: list[int]) -> int:
    return sum(values)


@lm.pipeline
def branches(flag: str = "/nonexistent"):
    a = plus_one(1)
    failing = maybe_boom(a, flag)
    after = plus_one(failing)
    independent = plus_one(plus_one(10))
    return total([after, independent])


@lm.step(retries=3, retry_delay=0.01, backoff=2.0)
def flaky(counter: str) -> int:
    path = Path(counter)
    count = int(path.read_text()) if path.exists() else 0
    path.write_text(str(count + 1))
    if count < 2:
        raise ConnectionError(f"attempt {count + 1} failed")
    return count


@lm.pipeline
def retrying(counter: str = "/tmp/none"):
    return flaky(counter)


@lm.step(timeout=0.3)
def sleepy(seconds: float) -> float:
    time.sleep(seconds)
    return seconds


@lm.pipeline
def timing_out(seconds: float = 5.0):
    return sleepy(seconds)


@lm.step(cache=False)
def wait_for(path: str, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not Path(path).exists():
        time.sleep(0.02)
    return os.getpid()


@lm.pipeline
def slow(path: str = "/tmp/none", seconds: float = 5.0):
    first = wait_for(path, seconds)
    return plus_one(first)


class Opaque:
    """A type with no materializer."""


@lm.step
def opaque() -> object:
    return Opaque()


@lm.pipeline
def unstorable():
    return opaque()


# ---------------------------------------------------------------- executors contract
@lm.step
def square(x: int) -> int:
    return x * x


@lm.step
def array_of(values: list[int]) -> np.ndarray:
    return np.asarray(values, dtype=float)


@lm.pipeline
def squares(n: int = 6):
    return array_of([square(i) for i in range(n)])


# ---------------------------------------------------------------- schedules
@lm.pipeline(name="every_five_minutes", schedule="*/5 * * * *")
def scheduled(n: int = 3):
    return array_of([square(i) for i in range(n)])


# ---------------------------------------------------------------- models
@lm.step
def fit_model(n: int) -> object:
    from sklearn.linear_model import LinearRegression

    x = np.arange(n, dtype=float).reshape(-1, 1)
    return LinearRegression().fit(x, 3 * x[:, 0])


@lm.step
def predict_with(model: object, value: float) -> float:
    return float(model.predict([[value]])[0])


@lm.pipeline
def modelling(n: int = 5):
    return predict_with(fit_model(n), 10.0)

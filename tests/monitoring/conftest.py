"""Fixtures for monitoring tests: synthetic references and prediction logs."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pytest

from loopml.monitoring import Monitoring
from loopml.store.events import EventLog
from loopml.store.streams import predictions_stream

if TYPE_CHECKING:
    from loopml.store import Store

T0 = dt.datetime(2026, 1, 5, 12, 0, tzinfo=dt.UTC)


def features(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
    """Three features: ``age`` (normal), ``income`` (lognormal), ``plan`` (categorical)."""
    rng = np.random.default_rng(seed)
    plans = np.array(["basic", "plus", "pro"], dtype=object)
    p = np.array([0.6, 0.3, 0.1]) if not shift else np.array([0.2, 0.3, 0.5])
    return pd.DataFrame(
        {
            "age": rng.normal(40 + 10 * shift, 10, n),
            "income": rng.lognormal(10, 0.5, n),
            "plan": plans[rng.choice(3, size=n, p=p)],
        }
    )


def write_predictions(
    log: EventLog,
    frame: pd.DataFrame,
    start: dt.datetime,
    *,
    deployment: str = "churn",
    version: int = 1,
    prefix: str = "p",
    shadow: bool = False,
    seed: int = 0,
) -> list[str]:
    """Write one prediction-log row per frame row, spaced one second apart from ``start``."""
    rng = np.random.default_rng(seed)
    n = len(frame)
    ids = [f"{prefix}{i}" for i in range(n)]
    score = rng.random(n)
    rows = {
        "time": [start + dt.timedelta(seconds=i) for i in range(n)],
        "prediction_id": ids,
        "deployment": [deployment] * n,
        "model_name": [deployment] * n,
        "model_version": [version] * n,
        "latency_ms": [1.0] * n,
        "inputs": frame.to_dict("records"),
        "prediction": (score > 0.5).astype(float),
        "score": score,
        "shadow": [shadow] * n,
    }
    import pyarrow as pa

    log.append(predictions_stream(deployment), pa.table(rows))
    return ids


@pytest.fixture
def log(store: Store) -> EventLog:
    """The store's event log."""
    return EventLog.from_store(store)


@pytest.fixture
def monitoring(store: Store, log: EventLog) -> Monitoring:
    """The monitoring API on the test store."""
    return Monitoring(store, log)

"""A small store with something on every page: runs, models, a pipeline, features, traffic,
a monitor with drift, labelled windows and alerts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.store.events import EventLog
from loopml.store.streams import predictions_stream

if TYPE_CHECKING:
    from pathlib import Path

NOW = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0)


@dataclass
class Seeded:
    """Ids the tests look for on the pages."""

    run_ids: list[str]
    parent_id: str
    pipeline_run_id: str


@lm.step
def load_numbers(n: int = 50) -> pd.DataFrame:
    print("loading", n, "rows")
    return pd.DataFrame({"x": np.arange(n, dtype=float), "y": np.arange(n) % 2})


@lm.step
def fit(frame: pd.DataFrame) -> float:
    lm.log_metric("mean_x", float(frame["x"].mean()))
    return float(frame["y"].mean())


@lm.pipeline
def numbers(n: int = 50):
    return fit(load_numbers(n))


def features(n: int, seed: int, shift: float = 0.0) -> pd.DataFrame:
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


def seed(client: lm.Client, folder: Path) -> Seeded:
    """Fill ``client``'s store (it must be the default client) with a little of everything."""
    run_ids = _runs()
    with (
        lm.start_run("churn", name="sweep", capture=False) as parent,
        lm.start_run("churn", name="child-a", capture=False),
    ):
        lm.log_metric("auc", 0.8)
    _models()
    result = numbers.run()
    numbers.run()  # the second run comes from the cache
    _features(folder)
    _traffic(client)
    _monitor(client, run_ids[0])
    return Seeded(run_ids, parent.id, result.id)


def _runs() -> list[str]:
    ids = []
    for i, (lr, model) in enumerate([(0.1, "gbm"), (0.01, "gbm"), (0.1, "linear")]):
        with lm.start_run("churn", name=f"run-{i}", params={"lr": lr, "model": model}) as run:
            for step in range(20):
                run.log_metrics({"loss": 1.0 / (step + 1 + i), "auc": 0.5 + 0.02 * step}, step=step)
            run.log_text(f"notes for run {i}\nlearning rate {lr}\n", "notes/readme.txt")
            run.log_dict({"lr": lr, "model": model}, "config.json")
            run.log_table(features(100, i), "reference.parquet")
            ids.append(run.id)
    return ids


def _models() -> None:
    x = np.random.default_rng(0).normal(size=(60, 2))
    y = (x[:, 0] > 0).astype(int)
    for i in range(2):
        with lm.start_run("churn-training", capture=False) as run:
            ref = run.log_model(LogisticRegression().fit(x, y), "model", example=x[:3])
        version = lm.register_model(ref, "churn", tags={"gate.accuracy": "pass" if i else "fail"})
        lm.set_alias("churn", "champion", version.version, reason=f"promotion {i}")
    lm.set_alias("churn", "challenger", 1, reason="kept for comparison")


def _features(folder: Path) -> None:
    source = folder / "activity.parquet"
    frame = pd.DataFrame(
        {
            "customer_id": [1, 2, 3, 1],
            "ts": pd.to_datetime(
                ["2026-01-01", "2026-01-01", "2026-01-02", "2026-01-03"], utc=True
            ),
            "orders_7d": [1, 2, 3, 4],
            "spend_30d": [10.0, 20.0, 30.0, 40.0],
        }
    )
    frame.to_parquet(source)
    store = lm.FeatureStore()
    store.apply(
        [
            lm.Entity("customer_id"),
            lm.FeatureView(
                "activity", entity="customer_id", source=str(source), timestamp="ts",
                features=["orders_7d", "spend_30d"], ttl="30d",
            ),
        ]
    )  # fmt: skip
    store.materialize()


def _traffic(client: lm.Client) -> list[str]:
    log = EventLog.from_store(client.store)
    ids: list[str] = []
    for hour in range(6, 0, -1):
        start = NOW - dt.timedelta(hours=hour)
        frame = features(120, hour, shift=1.0 if hour <= 3 else 0.0)
        n = len(frame)
        rng = np.random.default_rng(hour)
        score = rng.random(n)
        batch = [f"h{hour}-{i}" for i in range(n)]
        rows = {
            "time": [start + dt.timedelta(seconds=25 * i) for i in range(n)],
            "prediction_id": batch,
            "deployment": ["churn"] * n,
            "model_name": ["churn"] * n,
            "model_version": [1 if i % 5 else 2 for i in range(n)],
            "latency_ms": list(rng.gamma(2.0, 2.0, n)),
            "inputs": frame.to_dict("records"),
            "prediction": (score > 0.5).astype(float),
            "score": score,
            "shadow": [False] * n,
        }
        log.append(predictions_stream("churn"), pa.table(rows))
        ids += batch
    lm.log_feedback_batch(
        [{"prediction_id": i, "label": int(j % 3 == 0)} for j, i in enumerate(ids)]
    )
    return ids


def _monitor(client: lm.Client, run_id: str) -> None:
    lm.save_monitor(
        lm.Monitor(
            "churn", reference=f"runs:/{run_id}/reference.parquet", window="1h",
            rules=[lm.Rule("drift.share > 0.3", severity="critical")],
        )
    )  # fmt: skip
    for hour in range(5, -1, -1):
        lm.run_monitor("churn", at=NOW - dt.timedelta(hours=hour))
    del client

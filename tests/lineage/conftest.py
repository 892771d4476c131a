"""A small but complete graph: data -> training run -> model -> deployment -> predictions."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.store.events import EventLog
from loopml.store.streams import predictions_stream


@dataclass
class Trained:
    run_id: str
    dataset: str
    model: str
    version: int
    prediction_ids: list[str]


def log_predictions(
    client: lm.Client, deployment: str, model: str, version: int, ids: list[str]
) -> None:
    """Append rows in the prediction-log contract (as the model server writes them)."""
    n = len(ids)
    EventLog.from_store(client.store).append(
        predictions_stream(deployment),
        pd.DataFrame(
            {
                "time": np.full(n, 1_764_000_000_000, dtype="int64"),
                "prediction_id": ids,
                "deployment": [deployment] * n,
                "model_name": [model] * n,
                "model_version": np.full(n, version, dtype="int64"),
                "latency_ms": np.ones(n),
                "prediction": np.arange(n, dtype="float64") % 2,
                "score": np.full(n, 0.5),
                "shadow": [False] * n,
            }
        ),
    )


def train(client: lm.Client, name: str = "churn", seed: int = 0) -> Trained:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({"x": rng.normal(size=50), "y": rng.integers(0, 2, 50)})
    with lm.start_run("lineage", params={"C": 1.0}) as run:
        dataset = lm.log_dataset(frame, f"{name}-data", run=run)
        model = LogisticRegression().fit(frame[["x"]], frame["y"])
        run.log_metric("acc", float(model.score(frame[["x"]], frame["y"])))
        ref = run.log_model(model, "model", example=frame[["x"]][:5])
    version = lm.register_model(ref, name)
    lm.set_alias(name, "champion", version.version)
    ids = [f"p{seed}-{i:04d}" for i in range(20)]
    log_predictions(client, name, name, version.version, ids)
    return Trained(run.id, dataset.node_id, name, version.version, ids)


@pytest.fixture
def trained(client: lm.Client) -> Trained:
    return train(client)

"""Fixtures for loop tests: a deployed champion, a monitor and a prediction log with labels."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

import loopml as lm
from loopml.loop.demo import scenario
from loopml.store.events import EventLog
from loopml.store.streams import predictions_stream

if TYPE_CHECKING:
    import pandas as pd

MODEL = "churn"


def register(client: lm.Client, model: Any, example: pd.DataFrame, alias: str | None = None) -> int:
    """Log ``model`` in a run, register it as the next version of ``churn``."""
    with client.runs.start_run("churn-training") as run:
        package = client.models.log_model(run, model, "model", example=example.head(5))
    version = client.models.register_model(package, MODEL).version
    if alias:
        client.models.set_alias(MODEL, alias, version)
    return version


def log_traffic(
    client: lm.Client,
    frame: pd.DataFrame,
    *,
    version: int,
    start: dt.datetime,
    prefix: str,
    labelled: bool = True,
    model: Any = None,
) -> list[str]:
    """Write served predictions (one a second from ``start``) and, optionally, their labels."""
    features = frame[list(scenario.FEATURES)]
    predictions = model.predict(features) if model is not None else frame["label"].to_numpy()
    n = len(frame)
    ids = [f"{prefix}{i}" for i in range(n)]
    rows = {
        "time": [int(start.timestamp() * 1000) + 10 * i for i in range(n)],
        "prediction_id": ids,
        "deployment": [MODEL] * n,
        "model_name": [MODEL] * n,
        "model_version": [version] * n,
        "latency_ms": [1.0] * n,
        "inputs": features.to_dict("records"),
        "prediction": np.asarray(predictions, dtype=float),
        "score": [None] * n,
        "shadow": [False] * n,
    }
    records = [dict(zip(rows, values, strict=True)) for values in zip(*rows.values(), strict=True)]
    EventLog.from_store(client.store).append(predictions_stream(MODEL), records)
    if labelled:
        labels = [
            {"prediction_id": i, "label": float(y), "deployment": MODEL}
            for i, y in zip(ids, frame["label"], strict=True)
        ]
        client.monitors.log_feedback_batch(labels, deployment=MODEL)
    return ids


@pytest.fixture
def deployed(sqlite_client: lm.Client) -> dict[str, Any]:
    """A champion v1 fitted before the drift, and a monitor of its deployment (SQLite)."""
    return deploy(sqlite_client)


@pytest.fixture
def deployed_on_each_db(client: lm.Client) -> dict[str, Any]:
    """The same on SQLite and, when LOOPML_TEST_POSTGRES_URL is set, PostgreSQL."""
    return deploy(client)


def deploy(client: lm.Client) -> dict[str, Any]:
    """Register a champion fitted before the drift and save a monitor of its deployment."""
    before = scenario.rows(2000, seed=1)
    champion = scenario.fit(before)
    version = register(client, champion, before[list(scenario.FEATURES)], alias="champion")
    client.monitors.save(
        lm.Monitor(
            MODEL,
            reference=before[list(scenario.FEATURES)],
            window="1h",
            rules=["drift.share > 0.3:critical"],
        )
    )
    return {"client": client, "champion": champion, "version": version, "before": before}


def drifted_traffic(deployed: dict[str, Any], n: int = 600, *, seed: int = 7) -> list[str]:
    """Log ``n`` drifted predictions of the champion with labels, ending now."""
    client = deployed["client"]
    after = scenario.rows(n, drifted=True, seed=seed)
    start = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=n * 0.01 + 5)
    return log_traffic(client, after, version=deployed["version"], start=start, prefix=f"d{seed}-",
                       model=deployed["champion"])  # fmt: skip


def make_loop(**options: Any) -> lm.Loop:
    """The test loop: retrain on alerts of the churn monitor, promote at once."""
    settings: dict[str, Any] = {
        "name": "churn-loop",
        "model": MODEL,
        "pipeline": "loopml.loop.demo.scenario:training",
        "monitor": MODEL,
        "triggers": [lm.Trigger.alert()],
        "gates": [
            lm.CompatibleSignature(),
            lm.BeatsChampion(margin=0.05, min_labels=100),
            lm.LatencyBudget(p95_ms=500, calls=20),
        ],
        "training": lm.TrainingData(min_labels=200, window="1h"),
        "cooldown": "0s",
    }
    settings.update(options)
    return lm.Loop(**settings)

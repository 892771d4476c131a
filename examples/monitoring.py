"""Monitoring: drift, data quality and live accuracy of a served model, with alerts.

Trains a classifier on scikit-learn's breast-cancer data inside a tracked run (the training
table is the monitor's reference), logs six hours of batch predictions to the prediction
log (``lm.log_predictions``; a model server logs its requests the same way), shifts two
features from hour four on, sends ground-truth labels back, evaluates the monitor hour by
hour, and writes an HTML report.

Run it with ``python examples/monitoring.py`` (``make demo`` does).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
from sklearn.datasets import load_breast_cancer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm

if TYPE_CHECKING:
    import pandas as pd

FEATURES = ["mean radius", "mean texture", "mean smoothness", "worst area", "worst concavity"]
START = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)


def train() -> tuple[object, pd.DataFrame, pd.DataFrame, str]:
    data = load_breast_cancer(as_frame=True)
    X, y = data.frame[FEATURES], data.target
    X_train, X_live, y_train, y_live = train_test_split(X, y, test_size=0.5, random_state=0)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X_train, y_train)
    with lm.start_run("monitoring-demo", name="train") as run:
        run.log_table(X_train, "reference.parquet")
    live = X_live.assign(target=y_live.to_numpy())
    return model, X_train, live, run.id


def logged(hour: int) -> bool:
    """Whether an earlier run on this home already logged this hour (the log is append-only)."""
    start = START + dt.timedelta(hours=hour)
    return len(lm.predictions("cancer", since=start, until=start + dt.timedelta(hours=1))) > 0


def serve_hour(model, live: pd.DataFrame, hour: int, drift: bool) -> list[dict]:
    """Log one hour of batch predictions; return the labels that come back later."""
    rng = np.random.default_rng(hour)
    batch = live.sample(120, random_state=hour).reset_index(drop=True)
    inputs = batch[FEATURES].copy()
    if drift:  # a sensor recalibration: texture reads 40 % high, areas shift up
        inputs["mean texture"] *= 1.4
        inputs["worst area"] += 400
    score = model.predict_proba(inputs)[:, 1]
    start = START + dt.timedelta(hours=hour)
    scored = inputs.assign(
        time=[start + dt.timedelta(seconds=int(s)) for s in rng.integers(0, 3600, len(batch))],
        prediction=(score > 0.5).astype(float),
        score=score,
    )
    ids = lm.log_predictions(
        "cancer", scored, score="score", time="time", model_name="cancer", model_version=1
    )
    return [
        {"prediction_id": i, "label": int(t)} for i, t in zip(ids, batch["target"], strict=True)
    ]


def main() -> None:
    model, _, live, run_id = train()
    client = lm.get_client()
    if any(m.name == "cancer" for m in lm.list_monitors()):
        lm.delete_monitor("cancer")  # a re-run starts from a clean monitor (no open alert)
    lm.save_monitor(
        lm.Monitor(
            "cancer",
            reference=f"runs:/{run_id}/reference.parquet",
            window="1h",
            rules=[
                "drift.share >= 0.3:critical",
                lm.Rule("performance.accuracy < 0.85", min_labelled=50),
                "quality.missing_rate.* > 0.05",
            ],
        )
    )
    opened = []
    subscription = lm.subscribe_alerts(opened.append)
    for hour in range(6):
        if not logged(hour):  # a re-run judges the same rows again
            labels = serve_hour(model, live, hour, drift=hour >= 3)
            lm.log_feedback_batch(labels, deployment="cancer")
        result = lm.run_monitor("cancer", at=START + dt.timedelta(hours=hour + 1))
        accuracy = result.metrics.get("performance.accuracy")
        print(
            f"hour {hour}: rows {result.rows}, drifted {result.drifted_columns or '-'}, "
            f"share {result.drift_share:.2f}, accuracy {accuracy:.3f}"
        )
    subscription.cancel()
    for event in opened:
        print(f"alert {event.kind}: [{event.severity}] {event.message}")
    built = client.monitors.report(
        "cancer", window="6h", at=START + dt.timedelta(hours=6), path="cancer-report.html"
    )
    print(f"report: {built.path} ({len(built.html) // 1024} KiB, self-contained)")
    print(
        "next: loopml monitor results cancer --since 1000d ; loopml monitor alerts --all",
        flush=True,
    )


if __name__ == "__main__":
    main()

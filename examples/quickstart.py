"""Quickstart: train scikit-learn models on a bundled dataset with loopml tracking.

Runs a small grid of logistic-regression and gradient-boosting models on scikit-learn's
breast-cancer data, logs params, per-epoch metrics, a confusion-matrix table and a plot,
then searches the runs and prints where to look.

Run it with ``python examples/quickstart.py`` (``make demo`` does).
"""

from __future__ import annotations

import uuid

import pandas as pd
from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, confusion_matrix, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm

EXPERIMENT = "quickstart"


def train_one(
    model_name: str, strength: float, X_train, X_test, y_train, y_test, session: str
) -> str:
    """Train one model inside a tracked run and return the run id."""
    name = f"{model_name}-{strength}"
    with lm.start_run(EXPERIMENT, name=name, tags={"session": session}) as run:
        run.log_params({"model": model_name, "strength": strength, "rows": len(X_train)})
        if model_name == "logreg":
            model = make_pipeline(StandardScaler(), LogisticRegression(C=strength, max_iter=500))
            model.fit(X_train, y_train)
        else:
            model = HistGradientBoostingClassifier(
                learning_rate=strength, max_iter=1, warm_start=True
            )
            for epoch in range(1, 31):  # one boosting round per "epoch", logged as a series
                model.max_iter = epoch
                model.fit(X_train, y_train)
                run.log_metric(
                    "train_acc", accuracy_score(y_train, model.predict(X_train)), step=epoch
                )
        scores = model.predict_proba(X_test)[:, 1]
        predictions = (scores >= 0.5).astype(int)
        run.log_metrics(
            {"acc": accuracy_score(y_test, predictions), "auc": roc_auc_score(y_test, scores)}
        )
        matrix = confusion_matrix(y_test, predictions)
        run.log_table(pd.DataFrame(matrix, columns=["pred_0", "pred_1"]), "confusion.parquet")
        run.log_dict({"features": list(X_train.columns)}, "features.json")
        return run.id


def main() -> None:
    lm.seed_everything(42)
    data = load_breast_cancer(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.25, random_state=42, stratify=data.target
    )
    grid = [("logreg", 0.1), ("logreg", 1.0), ("gbm", 0.1), ("gbm", 0.3)]
    session = uuid.uuid4().hex[:12]  # this run's grid, not the runs of earlier runs on this home
    for model_name, strength in grid:
        train_one(model_name, strength, X_train, X_test, y_train, y_test, session)

    best = lm.search_runs(
        EXPERIMENT,
        f"metrics.auc > 0.9 and tags.session = '{session}'",
        order_by=["metrics.auc desc"],
        limit=3,
    )
    print(best[["name", "params.model", "params.strength", "metrics.acc", "metrics.auc"]])
    top = lm.get_run(best["run_id"].iloc[0])
    settings = lm.get_client().settings
    print(f"\nbest run {top.name} ({top.id}) git={top.git_commit} dirty={top.git_dirty}")
    print(f"metadata:  {settings.db_url}")
    print(f"artifacts: {settings.artifacts}")
    print("look next: loopml runs list -e quickstart -o 'metrics.auc desc'")
    print(f"           loopml runs show {top.id[:8]}")


if __name__ == "__main__":
    main()

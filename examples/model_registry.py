"""Model registry: package, register, promote with an alias, load and predict.

Trains two classifiers on scikit-learn's breast-cancer data, logs each as a model
package (flavor and signature inferred from an example), registers them as versions of
``cancer``, points ``champion`` at the better one, wraps the champion in an
``lm.PythonModel`` that adds a decision threshold read from a bundled artifact, and loads
everything back by URI. The alias history shows who moved what and when.

Run it with ``python examples/model_registry.py`` (``make demo`` does).
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from sklearn.datasets import load_breast_cancer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm


class Thresholded(lm.PythonModel):
    """Post-processing: a registered classifier plus a threshold from a bundled file."""

    def load_context(self, context):
        self.inner = lm.load_model(context.model_config["inner"])
        self.threshold = json.loads(context.artifacts["policy"].read_text())["threshold"]

    def predict(self, context, df):
        scores = self.inner.predict_proba(df)[:, 1]
        return (scores >= self.threshold).astype("int64")


def train(name: str, model, X_train, X_test, y_train, y_test) -> lm.ModelVersion:
    with lm.start_run("registry-demo", name=name) as run:
        model.fit(X_train, y_train)
        run.log_metric("auc", roc_auc_score(y_test, model.predict_proba(X_test)[:, 1]))
        package = run.log_model(model, "model", example=X_train[:5])
    return lm.register_model(package, "cancer", description=name, tags={"algo": name})


def main() -> None:
    started_ms = int(time.time() * 1000)
    data = load_breast_cancer(as_frame=True)
    X_train, X_test, y_train, y_test = train_test_split(
        data.data, data.target, test_size=0.3, random_state=0, stratify=data.target
    )
    logreg = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    gbm = HistGradientBoostingClassifier(max_iter=50)
    versions = [
        train(n, m, X_train, X_test, y_train, y_test) for n, m in [("logreg", logreg), ("gbm", gbm)]
    ]
    for mv in versions:
        print(
            f"registered {mv.uri}: {mv.flavor}, auc={mv.metrics['auc']:.4f}, "
            f"digest {mv.digest[:12]}"
        )

    best = max(versions, key=lambda mv: mv.metrics["auc"])
    other = min(versions, key=lambda mv: mv.metrics["auc"])
    lm.set_alias("cancer", "champion", other.version)  # what production ran so far
    lm.set_alias("cancer", "challenger", best.version)
    # The challenger wins on the test split: promote it and retire the challenger alias.
    lm.set_alias("cancer", "champion", best.version, reason="higher auc on the test split")
    lm.delete_alias("cancer", "challenger", reason="promoted")

    champion = lm.load_model("models:/cancer@champion")
    rows = X_test[:3].to_dict(orient="records")
    print(
        f"champion is version {champion.version}; predictions for 3 rows: {champion.predict(rows)}"
    )
    try:
        champion.predict([{**rows[0], "mean radius": "large"}])
    except lm.SignatureMismatch as err:
        print(f"bad input refused: {err.field}: {err}")

    with tempfile.TemporaryDirectory() as tmp:
        policy = Path(tmp) / "policy.json"
        policy.write_text(json.dumps({"threshold": 0.8}))
        with lm.start_run("registry-demo", name="thresholded") as run:
            package = run.log_model(
                Thresholded(),
                "model",
                example=X_train[:5],
                artifacts={"policy": policy},
                model_config={"inner": f"models:/cancer/{best.version}"},
            )
    strict = lm.register_model(package, "cancer-strict")
    strict_model = lm.load_model(f"models:/cancer-strict/{strict.version}")
    print(f"cancer-strict ({strict_model.flavor}) predicts {strict_model.predict(X_test[:3])}")

    for change in lm.alias_history("cancer"):
        if change.at < started_ms:  # moves of earlier runs on this home
            continue
        print(
            f"history: {change.alias} {change.action} {change.previous_version} -> "
            f"{change.version} by {change.by}"
        )
    print("look next: loopml models list")
    print("           loopml models history cancer")
    print("           loopml models version cancer champion")


if __name__ == "__main__":
    main()

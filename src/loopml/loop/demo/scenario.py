"""A synthetic stream with a known drift, and the training pipeline the demo loop runs.

Two numeric features and a categorical one; the label is a linear rule of the features.
At drift onset the features shift and the rule's boundary moves with them, so a model
fitted before the drift loses accuracy, and one retrained on recent labelled traffic
gets it back. Everything is seeded: the same calls give the same rows.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from loopml.data import Datasets
from loopml.models import PythonModel, PythonModelContext
from loopml.pipelines import pipeline, step
from loopml.tracking import active_run

FEATURES = ("tenure", "spend", "visits")


def rows(n: int, *, drifted: bool = False, seed: int = 0) -> pd.DataFrame:
    """``n`` rows of features and their true ``label`` (before or after the drift)."""
    rng = np.random.default_rng(seed)
    shift = 2.0 if drifted else 0.0
    tenure = rng.normal(0.0 + shift, 1.0, n)
    spend = rng.normal(0.0 - shift, 1.0, n)
    visits = rng.normal(0.0, 1.0, n)
    # the boundary moves with the population: after the drift "spend" matters the other way
    score = tenure + (-1.5 if drifted else 1.5) * spend + 0.3 * visits - (shift if drifted else 0.0)
    noise = rng.normal(0.0, 0.3, n)
    label = (score + noise > 0).astype(np.int64)
    return pd.DataFrame({"tenure": tenure, "spend": spend, "visits": visits, "label": label})


def fit(frame: pd.DataFrame, label: str = "label") -> Pipeline:
    """A scaled logistic regression on the feature columns."""
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500))
    model.fit(frame[list(FEATURES)], frame[label])
    return model


class SlowModel(PythonModel):
    """A challenger as good as ``model`` but ``delay_s`` slower per call (a latency bug)."""

    def __init__(self, model: object, delay_s: float = 0.03) -> None:
        self.model = model
        self.delay_s = delay_s

    def predict(self, context: PythonModelContext, df: pd.DataFrame) -> np.ndarray:
        """Sleep, then answer like the wrapped model."""
        time.sleep(self.delay_s)
        return np.asarray(self.model.predict(df[list(FEATURES)]))  # type: ignore[attr-defined]


@step
def load_training(data: str) -> pd.DataFrame:
    """Load the dataset version the loop built (``name@version``), recorded as used."""
    run = active_run()
    if run is None:
        raise RuntimeError("load_training runs as a pipeline step (inside a tracking run)")
    datasets = Datasets(run.store)
    version = datasets.get_version(data)
    datasets.link_run(run.id, version, "used")
    frame: pd.DataFrame = datasets.load_dataset(version)
    return frame


@step
def train_model(frame: pd.DataFrame) -> str:
    """Fit the model and log it with its signature; return the package URI."""
    run = active_run()
    if run is None:
        raise RuntimeError("train_model runs as a pipeline step (inside a tracking run)")
    model = fit(frame)
    package = run.log_model(model, "model", example=frame[list(FEATURES)].head(5))
    return str(package.uri)


@pipeline(name="demo_training")
def training(data: str = "demo-training@latest") -> object:
    """Retrain on the loop's training set."""
    return train_model(load_training(data))

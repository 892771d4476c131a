"""A synthetic stream with a known drift, and the training pipeline the demo loop runs.

Two numeric features and a categorical one; the label is a linear rule of the features.
At drift onset the features shift and the rule's boundary moves with them, so a model
fitted before the drift loses accuracy, and one retrained on recent labelled traffic
gets it back. Everything is seeded: the same calls give the same rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

from loopml.data import Datasets
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


class ConstantModel:
    """A broken challenger: always answers the same class (what the gates must block)."""

    def __init__(self, value: int = 0) -> None:
        self.value = value

    def fit(self, x: object, y: object) -> ConstantModel:
        """Nothing to learn."""
        return self

    def predict(self, x: pd.DataFrame) -> np.ndarray:
        """The constant for every row."""
        return np.full(len(x), self.value, dtype=np.int64)


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
def train_model(frame: pd.DataFrame) -> Pipeline:
    """Fit the model on the training set."""
    return fit(frame)


@pipeline(name="demo_training")
def training(data: str = "demo-training@latest") -> Pipeline:
    """Retrain on the loop's training set."""
    return train_model(load_training(data))

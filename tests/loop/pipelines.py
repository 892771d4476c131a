"""Training pipelines the loop tests run (importable, so the scheduler can run them too)."""

from __future__ import annotations

import pandas as pd
from sklearn.dummy import DummyClassifier

import loopml as lm
from loopml.loop.demo import scenario


@lm.step
def explode(data: str) -> pd.DataFrame:
    raise RuntimeError(f"the feature warehouse is down (asked for {data})")


@lm.step
def fit_dummy(frame: pd.DataFrame) -> DummyClassifier:
    return DummyClassifier(strategy="constant", constant=0).fit(
        frame[list(scenario.FEATURES)], frame["label"]
    )


@lm.pipeline(name="broken_training")
def broken(data: str = ""):
    return scenario.train_model(explode(data))


@lm.pipeline(name="dummy_training")
def dummy(data: str = ""):
    return fit_dummy(scenario.load_training(data))

"""Pipelines: a typed training DAG with fan-out, caching, a failing branch and resume.

Loads scikit-learn's wine data, splits it, trains one model per regularisation strength
in parallel steps, evaluates each and picks the best. The second run is served entirely
from the cache; changing one parameter re-runs only what depends on it.

Run it with ``python examples/pipelines.py`` (``make demo`` does).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from sklearn.datasets import load_wine
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler

import loopml as lm

if TYPE_CHECKING:
    import pandas as pd


@lm.step
def load() -> pd.DataFrame:
    data = load_wine(as_frame=True)
    return data.frame


@lm.step(outputs=("train", "test"))
def split(frame: pd.DataFrame, test_size: float = 0.3):
    return train_test_split(frame, test_size=test_size, random_state=0, stratify=frame["target"])


@lm.step(retries=2, retry_delay=0.1)
def train(train: pd.DataFrame, c: float) -> Pipeline:
    model = make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=1000))
    model.fit(train.drop(columns="target"), train["target"])
    return model


@lm.step
def evaluate(model: Pipeline, test: pd.DataFrame) -> float:
    accuracy = float(model.score(test.drop(columns="target"), test["target"]))
    lm.log_metric("accuracy", accuracy)  # each step is a tracking run
    return accuracy


@lm.step
def pick(scores: list[float], grid: list[float]) -> dict:
    best = int(np.argmax(scores))
    return {"c": grid[best], "accuracy": scores[best]}


@lm.pipeline
def wine_training(grid: list[float] = [0.01, 0.1, 1.0]):  # noqa: B006
    train_set, test_set = split(load())
    scores = [evaluate(train(train_set, c), test_set) for c in grid]
    return pick(scores, grid)


if __name__ == "__main__":
    print(wine_training.graph())
    first = wine_training.run(executor="threads")
    print(f"first run {first.id[:12]}: {first.status}, best {first.outputs}")
    second = wine_training.run()
    print(f"second run: {second.info.counts()}")  # everything CACHED
    third = wine_training.run(grid=[0.01, 0.1, 10.0])
    print(f"new grid: {third.info.counts()}")  # only train[2], evaluate[2], pick re-run
    print(lm.get_client().pipelines.explain(third.id, "train[2]"))
    print(f"inspect it: loopml pipelines show {third.id[:12]}")
    print(f"mermaid:    loopml pipelines graph {third.id[:12]} --mermaid")

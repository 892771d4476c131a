"""Small fitted models shared by the model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {
            "age": rng.integers(18, 80, 60).astype("int64"),
            "income": rng.normal(50_000, 10_000, 60),
            "score": rng.normal(0, 1, 60),
        }
    )


@pytest.fixture(scope="session")
def labels(frame: pd.DataFrame) -> np.ndarray:
    return (frame["score"] + frame["age"] / 50 > 1).to_numpy().astype(int)


@pytest.fixture(scope="session")
def frame_model(frame: pd.DataFrame, labels: np.ndarray):
    """A pipeline fitted on a named DataFrame."""
    return make_pipeline(StandardScaler(), LogisticRegression()).fit(frame, labels)


@pytest.fixture(scope="session")
def array_model(frame: pd.DataFrame, labels: np.ndarray):
    """A classifier fitted on a bare float array."""
    return LogisticRegression().fit(frame.to_numpy(dtype=float), labels)

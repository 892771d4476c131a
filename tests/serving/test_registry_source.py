"""The server over the real registry and store (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

import loopml as lm

from .conftest import LiveServer

pytest.importorskip("loopml.models")


@pytest.fixture
def registered(client):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    y = (x["a"] > 0).astype(int)
    versions = []
    for c in (1.0, 0.01):
        with lm.start_run("serving-test") as run:
            ref = run.log_model(LogisticRegression(C=c).fit(x, y), "model", example=x.head(5))
        versions.append(lm.register_model(ref, "churn").version)
    lm.set_alias("churn", "champion", versions[0])
    return x, versions


def test_serves_a_registered_model_and_follows_its_alias(registered):
    x, versions = registered
    built = lm.build_server("churn@champion", poll_interval=0.05, flush_interval=0.1)
    with LiveServer(built) as server:
        records = x.head(4).to_dict(orient="records")
        out = server.client.post("/predict", json={"records": records}).json()
        assert out["model_version"] == versions[0]
        assert out["predictions"] == (x.head(4)["a"] > 0).astype(int).tolist()
        bad = server.client.post("/predict", json={"records": [{"a": 1, "b": "x", "c": 2}]})
        assert bad.status_code == 422
        assert bad.json()["field"] == "b"
        lm.set_alias("churn", "champion", versions[1])
        deadline = time.monotonic() + 20
        while (
            server.client.post("/predict", json={"records": records}).json()["model_version"]
            != versions[1]
        ):
            assert time.monotonic() < deadline
            time.sleep(0.05)
        server.built.predlog.flush()
    frame = lm.predictions("churn")
    assert set(frame["model_version"]) == set(versions)
    assert list(frame.columns[-3:]) == ["a", "b", "c"]


def test_unknown_model_or_alias_is_a_clear_error(registered):
    with pytest.raises(lm.LoopmlError, match="fraud"):
        lm.build_server("fraud@champion")
    with pytest.raises(lm.LoopmlError, match="nothing"):
        lm.build_server("churn@nothing")


def test_batch_scoring_a_registered_model(registered, tmp_path):
    x, versions = registered
    x.to_parquet(tmp_path / "in.parquet")
    result = lm.predict_batch("churn@champion", tmp_path / "in.parquet", tmp_path / "out.csv")
    assert result.rows == len(x)
    assert result.model_version == versions[0]
    assert len(pd.read_csv(tmp_path / "out.csv")) == len(x)

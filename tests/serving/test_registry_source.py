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


def _binary_infer(server, x: np.ndarray):
    import orjson

    data = np.ascontiguousarray(x, dtype="<f8").tobytes()
    head = orjson.dumps(
        {
            "inputs": [
                {
                    "name": "input-0",
                    "shape": list(x.shape),
                    "datatype": "FP64",
                    "parameters": {"binary_data_size": len(data)},
                }
            ]
        }
    )
    return server.client.post(
        "/v2/models/m/infer",
        content=head + data,
        headers={
            "content-type": "application/octet-stream",
            "inference-header-content-length": str(len(head)),
        },
    )


@pytest.mark.parametrize("kind", ["lr", "hgb"])
def test_scikit_learn_models_answer_like_their_own_predict_and_refuse_what_they_cannot_score(
    client, kind
):
    """The server skips scikit-learn's finiteness scan only after validating the rows itself."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 3))
    y = (x[:, 0] > 0).astype(int)
    est = (LogisticRegression() if kind == "lr" else HistGradientBoostingClassifier()).fit(x, y)
    with lm.start_run("serving-test") as run:
        ref = run.log_model(est, "model", example=x[:5])
    lm.register_model(ref, "m")
    lm.set_alias("m", "champion", 1)
    built = lm.build_server("m@champion", flush_interval=0.1)
    with LiveServer(built) as server:
        rows = x[:20].tolist()
        for row in rows:  # one by one: the lone-request path
            out = server.client.post("/predict", json={"inputs": [row]}).json()
            assert out["predictions"] == est.predict(np.array([row])).tolist()
        out = server.client.post("/predict", json={"inputs": rows}).json()
        assert out["predictions"] == est.predict(x[:20]).tolist()
        missing = server.client.post("/predict", json={"inputs": [[None, 0.5, 0.5]]})
        blank = _binary_infer(server, np.array([[np.nan, 0.5, 0.5]]))
        if kind == "lr":  # it cannot score missing values: refused before the model
            assert missing.status_code == blank.status_code == 422
        else:  # it can: answered as the model itself answers
            assert missing.json()["predictions"] == est.predict([[np.nan, 0.5, 0.5]]).tolist()
            assert blank.status_code == 200
        assert _binary_infer(server, np.array([[np.inf, 0.5, 0.5]])).status_code == 422
        assert server.client.post("/predict", json={"inputs": [[1.0, 2.0, 3.0]]}).status_code == 200

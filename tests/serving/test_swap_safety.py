"""Hot-swap safety: warm-up on example rows, refused swaps, signature changes, missing values."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from .conftest import Column, Signature, make_model

ROW = [1.0, 2.0, 3.0, 4.0]


def _wait(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


class ZeroHater:
    """A model that works on realistic rows but raises on all-zero rows."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.version, self.signature, self.flavor = (
            inner.name, inner.version, inner.signature, inner.flavor,
        )  # fmt: skip
        self.seen: list[np.ndarray] = []

    def predict_array(self, x):
        self.seen.append(x)
        if not np.asarray(x, dtype=float).any():
            raise ValueError("all-zero rows are impossible here")
        return self.inner.predict_array(x)

    def predict_proba_array(self, x):
        return self.inner.predict_proba_array(x)


def test_warm_up_predicts_on_the_example_rows(serve, source):
    model = ZeroHater(make_model(version=2))
    model.example = [dict(zip(("f0", "f1", "f2", "f3"), ROW, strict=True))]
    source.add(model)
    server = serve()
    source.aliases[("churn", "champion")] = 2
    _wait(lambda: server.built.routes.primary.current.version == 2)
    assert model.seen[0].tolist() == [ROW]
    assert source.refusals == []


def test_a_failed_warm_up_keeps_the_old_version_and_is_recorded(serve, source):
    broken = make_model(version=2)
    broken.example = [{"f0": 1.0, "f1": 1.0, "f2": 1.0, "f3": 1.0}]
    broken.fail = True
    source.add(broken)
    server = serve()
    source.aliases[("churn", "champion")] = 2
    _wait(lambda: source.refusals)
    assert server.built.routes.primary.current.version == 1
    deployment, refusal = source.refusals[0]
    assert (deployment, refusal.kind, refusal.from_version, refusal.to_version) == (
        "churn", "warm_up", 1, 2,
    )  # fmt: skip
    assert "exploded" in refusal.reason
    reply = server.client.post("/predict", json={"instances": [ROW]}).json()
    assert reply["model_version"] == 1
    text = server.client.get("/metrics").text
    assert 'loopml_serving_swap_refused{deployment="churn",route="primary"} 1.0' in text
    assert 'reason="warm_up"' in text


def test_a_server_refuses_a_version_with_other_inputs_and_says_why(serve, source):
    other = make_model(version=2)
    other.signature = Signature(tuple(Column(c, "float64") for c in ("a", "b", "c", "d")))
    source.add(other)
    server = serve()
    source.aliases[("churn", "champion")] = 2
    _wait(lambda: source.refusals)
    refusal = source.refusals[0][1]
    assert refusal.kind == "signature"
    assert "restart" in refusal.reason
    assert "f0 (float64)" in refusal.reason
    assert server.built.routes.primary.current.version == 1


class NanHater:
    def __init__(self, inner):
        self.inner = inner
        self.name, self.version, self.signature, self.flavor = (
            inner.name, inner.version, inner.signature, inner.flavor,
        )  # fmt: skip

    def predict_array(self, x):
        if np.isnan(np.asarray(x, dtype=float)).any():
            raise ValueError("Input X contains NaN.")
        return self.inner.predict_array(x)

    def predict_proba_array(self, x):
        return None


@pytest.mark.parametrize("body", [
    {"records": [{"f0": None, "f1": 1.0, "f2": 1.0, "f3": 1.0}]},
    {"instances": [[None, 1.0, 1.0, 1.0]]},
])  # fmt: skip
def test_a_null_for_a_model_without_missing_values_is_422_naming_the_column(serve, source, body):
    source.models[("churn", 1)] = NanHater(make_model(version=1))
    reply = serve().client.post("/predict", json=body)
    assert reply.status_code == 422
    assert reply.json()["field"] == "f0"
    assert "cannot take missing values" in reply.json()["message"]


def test_metrics_label_versions_model_version_and_keep_status_after_a_swap(serve, source):
    from prometheus_client.parser import text_string_to_metric_families

    source.add(make_model(version=2))
    server = serve()
    server.client.post("/predict", json={"instances": [ROW]})
    source.aliases[("churn", "champion")] = 2
    _wait(lambda: server.built.routes.primary.current.version == 2)
    server.client.post("/predict", json={"instances": [ROW]})
    families = list(text_string_to_metric_families(server.client.get("/metrics").text))
    for family in families:
        for sample in family.samples:
            assert "version" not in sample.labels, sample
    info = {
        s.labels["model_version"]: s.value
        for f in families
        if f.name == "loopml_serving_model_info"
        for s in f.samples
    }
    assert info == {"1": 0.0, "2": 1.0}
    documented = (Path(__file__).parents[2] / "docs" / "serving.md").read_text()
    for family in families:
        if family.name.startswith("loopml_serving"):
            assert family.name in documented, family.name

"""XGBoost and LightGBM flavors (skipped when the extras are not installed)."""

from __future__ import annotations

import numpy as np
import pytest

import loopml as lm
from loopml.models import SignatureMismatch


def _data(frame, labels):
    return frame.astype("float64"), labels


@pytest.mark.parametrize("kind", ["classifier", "booster"])
def test_xgboost_round_trip(sqlite_client, frame, labels, kind) -> None:
    xgb = pytest.importorskip("xgboost")
    x, y = _data(frame, labels)
    if kind == "classifier":
        model = xgb.XGBClassifier(n_estimators=5, max_depth=2).fit(x, y)
        expected = model.predict(x[:5])
    else:
        model = xgb.train({"objective": "binary:logistic"}, xgb.DMatrix(x, label=y), 5)
        expected = model.inplace_predict(x[:5])
    with lm.start_run("boost") as run:
        ref = run.log_model(model, example=x[:5])
    assert ref.flavor == "xgboost"
    manifest = sqlite_client.models.get_manifest(ref)
    assert "model/model.ubj" in manifest["files"]
    assert manifest["packages"].get("xgboost") or manifest["packages"].get("numpy")
    loaded = lm.load_model(ref, cache=False)
    np.testing.assert_allclose(loaded.predict(x[:5]), expected, rtol=1e-6)
    np.testing.assert_allclose(loaded.predict_array(x.to_numpy()[:5]), expected, rtol=1e-6)
    proba = loaded.predict_proba_array(x.to_numpy()[:5])
    if kind == "classifier":
        np.testing.assert_allclose(proba, model.predict_proba(x[:5]), rtol=1e-6)
    else:
        assert proba is None
    with pytest.raises(SignatureMismatch, match="'income'"):
        loaded.predict([{"age": 1, "income": "x", "score": 0.0}])


@pytest.mark.parametrize("kind", ["classifier", "booster"])
def test_lightgbm_round_trip(sqlite_client, frame, labels, kind) -> None:
    lgb = pytest.importorskip("lightgbm")
    x, y = _data(frame, labels)
    params = {"n_estimators": 5, "min_child_samples": 2, "verbose": -1}
    if kind == "classifier":
        model = lgb.LGBMClassifier(**params).fit(x, y)
        expected = model.predict(x[:5])
    else:
        model = lgb.train(
            {"objective": "binary", "verbose": -1, "min_data_in_leaf": 2}, lgb.Dataset(x, y), 5
        )
        expected = model.predict(x.to_numpy()[:5])
    with lm.start_run("boost") as run:
        ref = run.log_model(model, example=x[:5])
    assert ref.flavor == "lightgbm"
    loaded = lm.load_model(ref, cache=False)
    np.testing.assert_allclose(loaded.predict(x[:5]), expected, rtol=1e-6)
    np.testing.assert_allclose(loaded.predict_array(x.to_numpy()[:5]), expected, rtol=1e-6)
    if kind == "classifier":
        assert loaded.predict_proba_array(x.to_numpy()[:5]).shape == (5, 2)
    else:
        assert loaded.predict_proba_array(x.to_numpy()[:5]) is None


@pytest.mark.parametrize(("flavor", "module"), [("xgboost", "xgboost"), ("lightgbm", "lightgbm")])
def test_missing_extra_names_the_install_command(sqlite_client, monkeypatch, flavor, module):
    import json

    from loopml.errors import MissingDependency

    store = sqlite_client.store
    data = store.put_blob(b"not really a model")
    manifest = {
        "format": "loopml-model",
        "format_version": 1,
        "flavor": flavor,
        "loader": f"loopml.models.flavors.{flavor}",
        "options": {"file": "model.txt", "kind": "booster"},
        "files": {"model/model.txt": {"digest": data.digest, "size": data.size}},
        "signature": None,
    }
    package = store.put_blob(json.dumps(manifest).encode())
    monkeypatch.setitem(__import__("sys").modules, module, None)  # as if not installed
    with pytest.raises(MissingDependency, match=rf"pip install 'loopml\[{flavor}\]'"):
        lm.load_model(f"package:{package.digest}")

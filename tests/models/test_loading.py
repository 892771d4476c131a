from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.models import SignatureMismatch
from tests.store_env import store_env


def _register(frame, labels, c: float, name: str = "churn") -> lm.ModelVersion:
    model = LogisticRegression(C=c).fit(frame.to_numpy(float), labels)
    with lm.start_run("load") as run:
        ref = run.log_model(model, example=frame.to_numpy(float)[:5])
    return lm.register_model(ref, name)


def test_load_by_alias_version_latest_and_run(client, frame, labels) -> None:
    v1 = _register(frame, labels, 1.0)
    v2 = _register(frame, labels, 0.01)
    lm.set_alias("churn", "champion", 1)
    by_alias = lm.load_model("models:/churn@champion")
    assert (by_alias.name, by_alias.version, by_alias.digest) == ("churn", 1, v1.digest)
    assert by_alias.run_id == v1.run_id
    assert by_alias.flavor == "sklearn"
    assert by_alias.uri == "models:/churn@champion"
    assert lm.load_model("models:/churn/2").digest == v2.digest
    assert lm.load_model("models:/churn/latest").version == 2
    assert lm.load_model("churn@champion").version == 1
    from_run = lm.load_model(f"runs:/{v2.run_id}/model")
    assert from_run.name is None
    assert from_run.digest == v2.digest
    assert lm.load_model(v2).version == 2


def test_cache_is_keyed_by_digest_and_follows_alias_moves(client, frame, labels) -> None:
    _register(frame, labels, 1.0)
    _register(frame, labels, 0.01)
    lm.set_alias("churn", "champion", 1)
    first = lm.load_model("models:/churn@champion")
    again = lm.load_model("models:/churn@champion")
    assert again.native is first.native  # cached, not loaded again
    assert lm.load_model("models:/churn/1").native is first.native  # same digest
    lm.set_alias("churn", "champion", 2)
    moved = lm.load_model("models:/churn@champion")
    assert moved.version == 2
    assert moved.native is not first.native
    fresh = lm.load_model("models:/churn/1", cache=False)
    assert fresh.native is not first.native
    client.models.clear_cache()
    assert lm.load_model("models:/churn/1").native is not first.native


def test_cache_evicts_least_recently_used(client, frame, labels) -> None:
    client.models.loader.max_entries = 1
    _register(frame, labels, 1.0)
    _register(frame, labels, 0.01)
    a = lm.load_model("models:/churn/1")
    lm.load_model("models:/churn/2")
    assert lm.load_model("models:/churn/1").native is not a.native


def test_predict_accepts_every_input_shape_and_validates(
    client, frame, labels, frame_model
) -> None:
    with lm.start_run("load") as run:
        ref = run.log_model(frame_model, example=frame[:5])
    model = lm.load_model(ref)
    expected = frame_model.predict(frame[:4])
    assert model.wants_frame
    assert model.predict(frame[:4]).tolist() == expected.tolist()
    assert model.predict(frame[:4].to_dict(orient="records")).tolist() == expected.tolist()
    assert model.predict(frame[:4].to_dict(orient="list")).tolist() == expected.tolist()
    assert model.predict(frame[:4].to_numpy()).tolist() == expected.tolist()
    assert model.predict_array(frame[:4].to_numpy()).tolist() == expected.tolist()
    np.testing.assert_allclose(
        model.predict_proba_array(frame[:4].to_numpy()), frame_model.predict_proba(frame[:4])
    )
    np.testing.assert_allclose(model.predict_proba(frame[:4]), frame_model.predict_proba(frame[:4]))
    with pytest.raises(SignatureMismatch, match="'age' expects int64") as err:
        model.predict([{"age": 3.5, "income": 1.0, "score": 0.0}])
    assert err.value.field == "age"
    with pytest.raises(SignatureMismatch, match="missing input column"):
        model.predict(frame[["age", "score"]])


def test_array_model_fast_path_skips_pandas(client, frame, labels, array_model) -> None:
    with lm.start_run("load") as run:
        ref = run.log_model(array_model, example=frame.to_numpy(float)[:5])
    model = lm.load_model(ref)
    assert not model.wants_frame
    x = frame.to_numpy(float)[:3]
    assert model.predict_array(x).tolist() == array_model.predict(x).tolist()
    assert model.predict([{"f0": 30, "f1": 1.0, "f2": 0.5}]).shape == (1,)


def test_fresh_process_loads_by_alias_quickly(sqlite_client, frame, labels, tmp_path) -> None:
    _register(frame, labels, 1.0)
    lm.set_alias("churn", "champion", 1)
    settings = sqlite_client.settings
    env = {
        **os.environ,
        **store_env(settings),
    }
    code = (
        "import json, sys, time; t = time.perf_counter()\n"
        "import loopml as lm\n"
        "m = lm.load_model('models:/churn@champion')\n"
        "elapsed = time.perf_counter() - t\n"
        "heavy = ('sqlalchemy', 'fastapi', 'pydantic', 'loopml.client')\n"
        "loaded = sorted(n for n in heavy if n in sys.modules)\n"
        "print(json.dumps({'s': elapsed, 'version': m.version, 'loaded': loaded}))\n"
    )
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    wall = time.perf_counter() - start
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["version"] == 1
    assert out["loaded"] == []  # the fast path: no SQLAlchemy, no client, no web stack
    # The strict number (<= 1 s on a quiet machine) is in bench/models; this box is shared.
    assert wall < 60, wall


def test_array_predictor_answers_like_predict_array_and_skips_only_the_finite_scan(
    client, frame, labels, array_model, frame_model
) -> None:
    import sklearn

    with lm.start_run("load") as run:
        array_ref = run.log_model(array_model, example=frame.to_numpy(float)[:5])
        frame_ref = run.log_model(frame_model, "frame", example=frame[:5])
    for ref in (array_ref, frame_ref):
        model = lm.load_model(ref)
        x = frame.to_numpy(float)[:6]
        checked = model.array_predictor()
        validated = model.array_predictor(validated=True)
        expected = model.predict_array(x).tolist()
        assert checked(x).tolist() == expected
        assert validated(x).tolist() == expected
        assert sklearn.get_config()["assume_finite"] is False  # restored after the call
    with pytest.raises(ValueError, match="NaN"):  # without validated, scikit-learn's scan runs
        lm.load_model(array_ref).array_predictor()(np.full((1, 3), np.nan))
    with sklearn.config_context(assume_finite=True):  # a caller's own setting is kept
        lm.load_model(array_ref).array_predictor(validated=True)(frame.to_numpy(float)[:2])
        assert sklearn.get_config()["assume_finite"] is True
    loaded = lm.load_model(array_ref)
    assert loaded.array_predictor() == loaded.native.predict  # no wrapper when not validated

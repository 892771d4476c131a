from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression
from sqlalchemy import select

import loopml as lm
from loopml.errors import Conflict, InvalidInput
from loopml.models import PackageCorrupted, SignatureMismatch
from loopml.models.packages import MANIFEST
from loopml.store.tables import core


class Scaled(lm.PythonModel):
    """Multiplies the score by a factor read from a bundled artifact."""

    def load_context(self, context):
        self.factor = json.loads(context.artifacts["factor"].read_text())["factor"]

    def predict(self, context, df):
        return (df["score"] * self.factor + context.model_config.get("offset", 0)).to_numpy()


def test_log_model_writes_a_self_describing_package(
    sqlite_client, frame, frame_model, tmp_path
) -> None:
    with lm.start_run("pkg") as run:
        ref = run.log_model(frame_model, "model", example=frame[:5])
    assert ref.flavor == "sklearn"
    assert ref.uri == f"runs:/{run.id}/model"
    assert ref.signature.input_names == ["age", "income", "score"]
    assert [c.dtype for c in ref.signature.inputs] == ["int64", "float64", "float64"]
    assert ref.signature.outputs[0].dtype == "int64"
    paths = {a.path for a in sqlite_client.runs.list_artifacts(run.id)}
    assert {
        f"model/{MANIFEST}",
        "model/model/model.pkl",
        "model/example.json",
        "model/requirements.txt",
    } <= paths
    manifest = sqlite_client.models.get_manifest(ref.uri)
    assert manifest["flavor"] == "sklearn"
    assert manifest["loader"] == "loopml.models.flavors.sklearn:SklearnFlavor"
    assert manifest["model_class"] == "sklearn.pipeline.Pipeline"
    assert manifest["packages"]["scikit-learn"]
    assert manifest["python"].count(".") == 2
    assert set(manifest["files"]) == {"model/model.pkl", "example.json", "requirements.txt"}
    example = json.loads(
        (sqlite_client.models.export_model(ref, tmp_path / run.id) / "example.json").read_text()
    )
    assert len(example) == 5
    assert set(example[0]) == {"age", "income", "score"}


def test_same_model_gives_the_same_digest(sqlite_client, frame, frame_model) -> None:
    with lm.start_run("pkg") as run:
        a = run.log_model(frame_model, "a", example=frame[:5])
        b = lm.log_model(frame_model, "b", example=frame[:5])
    assert a.digest == b.digest


def test_logging_twice_under_one_name_is_a_conflict(
    sqlite_client, frame, frame_model, array_model
) -> None:
    with lm.start_run("pkg") as run:
        run.log_model(frame_model, "model", example=frame[:5])
        with pytest.raises(Conflict, match="already has a different artifact"):
            run.log_model(array_model, "model", example=frame.to_numpy(float)[:5])


def test_array_model_signature_without_example(sqlite_client, array_model) -> None:
    with lm.start_run("pkg") as run:
        ref = run.log_model(array_model)
    assert ref.signature.input_names == ["f0", "f1", "f2"]
    assert ref.signature.outputs == ()


def test_example_that_does_not_fit_the_model_stores_nothing(
    sqlite_client, frame, frame_model
) -> None:
    with lm.start_run("pkg") as run, pytest.raises(SignatureMismatch, match="fitted on"):
        run.log_model(frame_model, "model", example=frame[["age", "income"]][:5])
    assert sqlite_client.runs.list_artifacts(run.id, "model") == []


def test_unknown_model_type_says_what_to_do(sqlite_client) -> None:
    with lm.start_run("pkg") as run, pytest.raises(InvalidInput, match="PythonModel"):
        run.log_model(object())


def test_python_model_with_artifacts_and_config(sqlite_client, frame, tmp_path) -> None:
    factor = tmp_path / "factor.json"
    factor.write_text(json.dumps({"factor": 3}))
    with lm.start_run("pkg") as run:
        ref = run.log_model(
            Scaled(),
            "custom",
            example=frame[:3],
            artifacts={"factor": factor},
            model_config={"offset": 1},
        )
    assert ref.flavor == "python"
    assert ref.signature.outputs[0].dtype == "float64"
    model = lm.load_model(ref.uri)
    np.testing.assert_allclose(model.predict(frame[:4]), frame["score"][:4] * 3 + 1)
    np.testing.assert_allclose(
        model.predict_array(frame.to_numpy()[:2]), frame["score"][:2].to_numpy() * 3 + 1
    )
    assert model.predict_proba_array(frame.to_numpy()[:2]) is None


def test_python_model_from_code_path(sqlite_client, frame, tmp_path, monkeypatch) -> None:
    code = tmp_path / "src" / "mymodels_pkg_test.py"
    code.parent.mkdir()
    code.write_text(
        "import loopml as lm\n"
        "class Const(lm.PythonModel):\n"
        "    def predict(self, context, df):\n"
        "        return [7] * len(df)\n"
    )
    monkeypatch.syspath_prepend(str(code.parent))
    module = __import__("mymodels_pkg_test")
    with lm.start_run("pkg") as run:
        ref = run.log_model(module.Const(), example=frame[:2], code_paths=[code])
    manifest = sqlite_client.models.get_manifest(ref)
    assert manifest["code"] == ["code"]
    assert "code/mymodels_pkg_test.py" in manifest["files"]
    assert list(lm.load_model(ref, cache=False).predict(frame[:2])) == [7, 7]


def test_save_package_without_a_run_can_be_registered(sqlite_client, frame, frame_model) -> None:
    package = sqlite_client.models.save_package(frame_model, example=frame[:5])
    assert package.run_id is None
    assert package.uri == f"package:{package.digest}"
    mv = lm.register_model(package, "no-run")
    assert mv.run_id is None
    assert mv.source == package.uri
    assert lm.load_model("models:/no-run/1").predict(frame[:2]).shape == (2,)
    with sqlite_client.store.db.read() as conn:
        assert conn.execute(select(core.blobs).where(core.blobs.c.digest == package.digest)).first()


def test_corrupted_model_file_is_refused(sqlite_client, frame, frame_model, tmp_path) -> None:
    with lm.start_run("pkg") as run:
        ref = run.log_model(frame_model, example=frame[:5])
    manifest = sqlite_client.models.get_manifest(ref)
    digest = manifest["files"]["model/model.pkl"]["digest"]
    path = tmp_path / "artifacts" / "blobs" / "sha256" / digest[:2] / digest[2:]
    path.write_bytes(path.read_bytes()[:-3] + b"xyz")
    with pytest.raises(lm.LoopmlError, match="corrupted") as err:
        lm.load_model(ref)
    assert type(err.value).__name__ == "BlobCorrupted"


def test_blob_that_is_not_a_manifest(sqlite_client) -> None:
    ref = sqlite_client.store.put_blob(b"not json at all")
    with pytest.raises(PackageCorrupted, match="not a model package manifest"):
        lm.load_model(f"package:{ref.digest}")


def test_unknown_flavor_is_invalid_input(sqlite_client, frame_model) -> None:
    with lm.start_run("pkg") as run, pytest.raises(InvalidInput, match="unknown model flavor"):
        run.log_model(frame_model, flavor="tensorflow")


def test_records_of_strings_and_numbers(sqlite_client) -> None:
    from sklearn.compose import make_column_transformer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder

    df = pd.DataFrame({"plan": ["a", "b", "a", "c"], "tenure": [1, 5, 3, 8]})
    model = make_pipeline(
        make_column_transformer(
            (OneHotEncoder(handle_unknown="ignore"), ["plan"]), remainder="passthrough"
        ),
        LogisticRegression(),
    ).fit(df, [0, 1, 0, 1])
    with lm.start_run("pkg") as run:
        ref = run.log_model(model, example=df)
    loaded = lm.load_model(ref)
    assert [c.dtype for c in loaded.signature.inputs] == ["string", "int64"]
    assert loaded.predict([{"plan": "b", "tenure": 5}]).tolist() == model.predict(df[1:2]).tolist()
    assert loaded.predict({"plan": "b", "tenure": 5}).tolist() == model.predict(df[1:2]).tolist()
    assert loaded.predict_array(np.array([["b", 5]], dtype=object)).shape == (1,)
    with pytest.raises(SignatureMismatch, match="'plan' expects string") as err:
        loaded.predict([{"plan": 3, "tenure": 5}])
    assert err.value.field == "plan"

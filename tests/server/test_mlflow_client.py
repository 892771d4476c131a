"""The real ``mlflow`` client (its own venv) against ``loopml up``: what it logs is loopml's."""

from __future__ import annotations

import os
import subprocess
import textwrap
from typing import TYPE_CHECKING

import pytest

import loopml as lm

if TYPE_CHECKING:
    from pathlib import Path

MLFLOW_ENV = "LOOPML_TEST_MLFLOW_PYTHON"

SCRIPT = textwrap.dedent(
    """
    import os, sys, tempfile
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    mlflow.set_experiment("mlflow-exp")
    with mlflow.start_run(run_name="first") as run:
        mlflow.log_param("lr", 0.1)
        mlflow.log_params({"depth": 3, "model": "gbm"})
        mlflow.log_metric("loss", 0.5, step=0)
        mlflow.log_metric("loss", 0.25, step=1)
        mlflow.log_metrics({"acc": 0.9, "f1": 0.8})
        mlflow.set_tag("team", "core")
        folder = tempfile.mkdtemp()
        notes = os.path.join(folder, "notes.txt")
        open(notes, "w").write("hello from mlflow")
        mlflow.log_artifact(notes)
        model = os.path.join(folder, "model")
        os.makedirs(model)
        open(os.path.join(model, "MLmodel"), "w").write(
            "flavors:\\n  sklearn:\\n    pickled_model: model.pkl\\n"
            "  python_function:\\n    x: 1\\n"
        )
        open(os.path.join(model, "model.pkl"), "wb").write(b"\\x00\\x01\\x02")
        mlflow.log_artifacts(model, artifact_path="model")
        run_id = run.info.run_id
    with mlflow.start_run(run_name="second"):
        mlflow.log_metric("acc", 0.4)
        mlflow.log_param("model", "linear")

    client = MlflowClient()
    client.log_batch(run_id, metrics=[Metric("batch", float(i), 1000 + i, i) for i in range(1000)])
    assert len(client.get_metric_history(run_id, "batch")) == 1000
    assert [a.path for a in client.list_artifacts(run_id)] == ["model", "notes.txt"]
    assert [a.path for a in client.list_artifacts(run_id, "model")] == [
        "model/MLmodel", "model/model.pkl"
    ]
    local = client.download_artifacts(run_id, "notes.txt", tempfile.mkdtemp())
    assert open(local).read() == "hello from mlflow"
    found = mlflow.search_runs(
        experiment_names=["mlflow-exp"],
        filter_string=(
            "metrics.acc > 0.5 and params.model = 'gbm' and tags.mlflow.runName = 'first'"
        ),
        output_format="list",
    )
    assert [r.info.run_id for r in found] == [run_id], found
    ordered = mlflow.search_runs(
        experiment_names=["mlflow-exp"], order_by=["metrics.acc DESC"], output_format="list"
    )
    assert [r.info.run_name for r in ordered] == ["first", "second"]
    assert client.get_run(run_id).data.params["depth"] == "3"
    assert client.get_experiment_by_name("no-such-experiment") is None

    client.create_registered_model("mlflow-model", description="from mlflow")
    version = client.create_model_version("mlflow-model", f"runs:/{run_id}/model", run_id=run_id)
    assert version.version == "1"
    client.set_registered_model_alias("mlflow-model", "champion", "1")
    assert client.get_model_version_by_alias("mlflow-model", "champion").version == "1"
    assert client.get_registered_model("mlflow-model").aliases == {"champion": "1"}
    assert [v.version for v in client.search_model_versions("name='mlflow-model'")] == ["1"]
    client.set_model_version_tag("mlflow-model", "1", "validated", "yes")
    print("RUN_ID", run_id)
    """
)


@pytest.fixture
def mlflow_python() -> str:
    """The Python of a venv holding the real mlflow client (skip without one)."""
    python = os.environ.get(MLFLOW_ENV)
    if not python:
        pytest.skip(f"{MLFLOW_ENV} is not set")
    return python


def test_mlflow_client_logs_loopml_runs_and_models(
    server: tuple[str, Path], mlflow_python: str, tmp_path: Path
) -> None:
    url, home = server
    script = tmp_path / "mlflow_script.py"
    script.write_text(SCRIPT)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOPML_", "PYTHONPATH"))}
    env["MLFLOW_TRACKING_URI"] = url
    done = subprocess.run(
        [mlflow_python, str(script)], env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    run_id = done.stdout.split("RUN_ID")[-1].strip()

    client = lm.Client(home=home)
    run = client.runs.get_run(run_id)
    assert run.name == "first"
    assert run.experiment == "mlflow-exp"
    assert run.status == "FINISHED"
    assert run.params == {"lr": "0.1", "depth": "3", "model": "gbm"}
    assert run.metrics["loss"] == 0.25
    assert run.metrics["batch"] == 999.0
    assert run.tags["team"] == "core"
    history = client.runs.get_metric_history(run_id, "loss", output="list")
    assert [(p.step, p.value) for p in history] == [(0, 0.5), (1, 0.25)]
    assert client.runs.load_artifact(run_id, "notes.txt") == "hello from mlflow"
    assert client.runs.count_runs("mlflow-exp") == 2
    good = client.runs.search_runs("mlflow-exp", "metrics.acc > 0.5", output="list")
    assert [r.id for r in good] == [run_id]

    version = client.models.get_model_version("mlflow-model", "champion")
    assert version.version == 1
    assert version.run_id == run_id
    assert version.flavor == "mlflow.sklearn"
    assert version.tags == {"validated": "yes"}
    assert client.models.get_registered_model("mlflow-model").description == "from mlflow"
    assert [c.action for c in client.models.alias_history("mlflow-model")] == ["set"]
    client.close()

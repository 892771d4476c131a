"""The Python API with LOOPML_TRACKING_URI: tracking and the registry on a real server."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.errors import ConfigError, InvalidInput, ParamConflict, RunNotActive, RunNotFound
from loopml.models.errors import AliasNotFound

if TYPE_CHECKING:
    from pathlib import Path

X = np.array([[0.0], [1.0], [2.0], [3.0]])


@pytest.fixture
def remote(shared_server: tuple[str, Path], tmp_path: Path):
    url, _ = shared_server
    client = lm.configure(tracking_uri=url, home=str(tmp_path / "client-home"))
    yield client
    client.close()


@pytest.fixture
def local(shared_server: tuple[str, Path]):
    _, home = shared_server
    client = lm.Client(home=home)
    yield client
    client.close()


def test_runs_log_and_read_back_through_the_server(remote, local, tmp_path) -> None:
    assert remote.is_remote
    with lm.start_run("remote", "first", params={"lr": 0.1}, tags={"team": "core"}) as run:
        for step in range(2000):
            lm.log_metric("loss", 1 / (step + 1))
        lm.log_metrics({"acc": 0.9, "odd": float("nan")})
        run.log_batch([("batch", float(i), i) for i in range(10)], params={"depth": 3})
        lm.log_dict({"a": 1}, "config.json")
        (tmp_path / "notes.txt").write_text("hello")
        lm.log_artifact(tmp_path / "notes.txt", "docs/notes.txt")
        with pytest.raises(ParamConflict):
            lm.log_param("lr", 0.2)
        with lm.start_run(name="child") as child:
            lm.log_metric("child_metric", 1.0)
    assert lm.active_run() is None
    with pytest.raises(RunNotActive):
        run.log_param("late", 1)

    stored = local.runs.get_run(run.id)  # what the server's store holds
    assert (stored.name, stored.experiment, stored.status) == ("first", "remote", "FINISHED")
    assert stored.params == {"lr": "0.1", "depth": "3"}
    assert stored.metrics["loss"] == pytest.approx(1 / 2000)
    assert np.isnan(stored.metrics["odd"])
    assert stored.tags == {"team": "core"}
    assert stored.python_version is not None
    assert local.runs.get_run(child.id).parent_id == run.id
    assert len(local.runs.get_metric_history(run.id, "loss", output="list")) == 2000
    assert local.runs.load_artifact(run.id, "docs/notes.txt") == "hello"

    seen = lm.get_run(run.id)
    assert seen.params == stored.params
    assert np.isnan(seen.metrics["odd"])
    frame = lm.search_runs("remote", "metrics.acc > 0.5")
    assert list(frame["run_id"]) == [run.id]
    page = remote.runs.search_runs(None, "params.lr = '0.1'", output="list")
    assert [r.id for r in page] == [run.id]
    history = lm.get_metric_history(run.id, "loss")
    assert list(history["step"][:3]) == [0, 1, 2]
    assert remote.runs.load_artifact(run.id, "config.json") == {"a": 1}
    folder = remote.runs.download_artifacts(run.id, "docs", tmp_path / "out")
    assert (folder / "notes.txt").read_text() == "hello"
    assert remote.runs.count_runs("remote") == 2
    assert [e.name for e in remote.runs.list_experiments()] == ["remote"]
    with pytest.raises(RunNotFound):
        lm.get_run("0" * 32)


def test_a_resumed_run_continues_its_steps(remote, local) -> None:
    with lm.start_run("resumed", params={"lr": 0.1}) as run:
        lm.log_metric("loss", 1.0)
        lm.log_metric("loss", 0.5)
    with lm.start_run(run_id=run.id) as again:
        lm.log_metric("loss", 0.25)
        with pytest.raises(ParamConflict):
            again.log_param("lr", 0.3)
    points = local.runs.get_metric_history(run.id, "loss", output="list")
    assert [(p.step, p.value) for p in points] == [(0, 1.0), (1, 0.5), (2, 0.25)]


def test_steps_follow_the_local_rules(remote, local) -> None:
    with lm.start_run("steps") as run:
        lm.log_metric("loss", 1.0, step=np.int64(4))
        lm.log_metric("loss", 0.5, step=5.0)
        lm.log_metric("loss", 0.25)
        for bad in (1.5, "6", None.__class__):
            with pytest.raises(InvalidInput, match="step of metric 'loss' must be an integer"):
                lm.log_metric("loss", 0.1, step=bad)
    points = local.runs.get_metric_history(run.id, "loss", output="list")
    assert [(p.step, p.value) for p in points] == [(4, 1.0), (5, 0.5), (6, 0.25)]


def test_the_registry_works_remotely_and_models_load(remote, local) -> None:
    with lm.start_run("models"):
        package = lm.log_model(LogisticRegression().fit(X, [0, 0, 1, 1]), "model")
    version = lm.register_model(package, "remote-model", description="first")
    assert version.version == 1
    assert lm.set_alias("remote-model", "champion", 1).action == "set"
    assert lm.get_model_version("remote-model", "champion").version == 1
    assert lm.get_registered_model("remote-model").aliases == {"champion": 1}
    loaded = lm.load_model("models:/remote-model@champion")
    assert list(loaded.predict(X)) == [0, 0, 1, 1]
    assert loaded.version == 1
    lm.delete_alias("remote-model", "champion", reason="retired")
    with pytest.raises(AliasNotFound):
        lm.get_model_version("remote-model", "champion")
    assert [c.action for c in lm.alias_history("remote-model")] == ["set", "deleted"]
    assert local.models.get_model_version("remote-model", 1).digest == package.digest


def test_artifacts_go_straight_to_the_store_when_configured(shared_server, tmp_path) -> None:
    url, home = shared_server
    client = lm.Client(
        tracking_uri=url, home=str(tmp_path / "h"), artifacts=str(home / "artifacts")
    )
    try:
        run = client.runs.start_run("direct", capture=False)
        info = run.log_text("straight to the store", "note.txt")
        run.end()
        local = lm.Client(home=home)
        assert local.store.blobs.exists(info.digest)
        assert local.runs.load_artifact(run.id, "note.txt") == "straight to the store"
        local.close()
    finally:
        client.close()


def test_components_without_remote_support_say_so(remote) -> None:
    with pytest.raises(ConfigError, match="LOOPML_TRACKING_URI"):
        remote.store  # noqa: B018

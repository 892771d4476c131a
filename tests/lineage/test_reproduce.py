from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.lineage import NotReproducible
from loopml.lineage.reproduce import _interpreter
from tests.store_env import store_env

TRAIN = textwrap.dedent(
    """
    import sys
    import numpy as np
    import pandas as pd
    import loopml as lm
    from sklearn.linear_model import LogisticRegression

    lr = float(sys.argv[1])
    lm.seed_everything(7)
    with lm.start_run(name="train", params={"C": lr}) as run:
        frame = lm.load_dataset("features")
        model = LogisticRegression(C=lr).fit(frame[["x"]], frame["y"])
        lm.use_dataset("features")
        run.log_metric("acc", float(model.score(frame[["x"]], frame["y"])))
        run.log_text(str(np.round(model.coef_, 8).tolist()), "coef.txt")
    """
)


def _git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


@pytest.fixture
def project(tmp_path, sqlite_client):
    import numpy as np
    import pandas as pd

    repo = tmp_path / "project"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "t@example.com")
    _git(repo, "config", "user.name", "t")
    (repo / "train.py").write_text(TRAIN)
    _git(repo, "add", "train.py")
    _git(repo, "commit", "-qm", "train")
    (repo / "train.py").write_text(
        TRAIN.replace("LogisticRegression(C=lr)", "LogisticRegression(C=lr, max_iter=200)")
    )
    rng = np.random.default_rng(0)
    lm.log_dataset(
        pd.DataFrame({"x": rng.normal(size=60), "y": rng.integers(0, 2, 60)}), "features"
    )
    settings = sqlite_client.settings
    env = {
        "PATH": "/usr/bin:/bin",
        **store_env(settings),
        "LOOPML_EXPERIMENT": "repro",
        "PYTHONPATH": str(Path(lm.__file__).parents[1]),
    }
    subprocess.run(
        [sys.executable, "train.py", "0.5"], cwd=repo, env=env, check=True, capture_output=True
    )
    [run] = lm.search_runs(["repro"], output="list")
    return repo, run


def test_a_run_is_rebuilt_from_commit_and_diff_and_matches(project):
    _repo, run = project
    assert run.git_dirty  # the max_iter change lives only in the stored diff
    result = lm.reproduce(run.id)
    assert result.is_identical, result.differences
    again = lm.get_run(result.reproduced)
    assert again.params == {"C": "0.5"}
    assert again.id != run.id
    assert "current interpreter" in result.environment


def test_differences_are_reported(project, sqlite_client):
    _repo, run = project
    with lm.start_run(run_id=run.id) as original:
        original.log_metric("acc", 0.0, step=99)  # the stored outcome no longer matches
    result = lm.reproduce(run.id)
    assert [d["key"] for d in result.differences] == ["acc"]
    shown = CliRunner().invoke(app, ["reproduce", run.id, "--json"])
    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.output)["differences"][0]["kind"] == "metric"


def test_missing_pieces_are_listed_before_any_work(project, sqlite_client):
    repo, run = project
    subprocess.run(["rm", "-rf", str(repo / ".git")], check=True)
    dataset = lm.get_dataset_version("features")
    blob = sqlite_client.store.blobs
    blob.backend.delete(blob.key(dataset.blob_digest))
    with pytest.raises(NotReproducible) as caught:
        lm.reproduce(run.id)
    message = str(caught.value)
    assert "git repository" in message
    assert "dataset version features/1" in message


def test_a_fresh_environment_is_built_from_a_tiny_lock(tmp_path, sqlite_client):
    store = sqlite_client.store
    wheel_free = "pip==" + __import__("importlib.metadata").metadata.version("pip") + "\n"
    digest = store.put_blob(wheel_free.encode()).digest
    python, described = _interpreter(store, digest, tmp_path, fresh=True)
    assert "fresh virtual environment" in described
    assert Path(python).exists()
    version = subprocess.run(
        [python, "-m", "pip", "--version"], capture_output=True, text=True, check=True
    )
    assert str(tmp_path) in version.stdout

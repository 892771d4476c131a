from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app

runner = CliRunner()


def _cli(*args: str) -> str:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _logged():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(40, 3))
    model = LogisticRegression().fit(x, (x[:, 0] > 0).astype(int))
    with lm.start_run("cli") as run:
        return run.log_model(model, example=x[:3])


def test_register_alias_history_and_listings(sqlite_client, tmp_path) -> None:
    ref = _logged()
    registered = json.loads(
        _cli("models", "register", ref.uri, "churn", "-a", "challenger", "-t", "team=x", "--json")
    )
    assert registered["version"] == 1
    assert registered["aliases"] == ["challenger"]
    _cli("models", "register", ref.uri, "churn", "-d", "second")
    assert "set churn@champion -> version 1" in _cli(
        "models", "set-alias", "churn", "champion", "1"
    )
    moved = json.loads(_cli("models", "alias", "churn", "champion", "2", "-r", "better", "--json"))
    assert (moved["action"], moved["previous_version"], moved["version"]) == ("moved", 1, 2)
    assert "already points" in _cli("models", "alias", "churn", "champion", "2")
    assert json.loads(_cli("models", "alias", "churn", "--json"))["aliases"] == {
        "challenger": 1,
        "champion": 2,
    }
    assert json.loads(_cli("models", "alias", "churn", "champion", "--json"))["version"] == 2
    assert "deleted churn@challenger" in _cli("models", "delete-alias", "churn", "challenger")
    history = json.loads(_cli("models", "history", "churn", "--json"))["history"]
    assert [h["action"] for h in history] == ["set", "set", "moved", "deleted"]
    assert history[2]["reason"] == "better"
    assert "champion" in _cli("models", "history", "churn", "--alias", "champion")
    models = json.loads(_cli("models", "list", "--json"))["models"]
    assert models[0]["name"] == "churn"
    assert models[0]["latest_version"] == 2
    assert "churn" in _cli("models", "list")
    versions = json.loads(_cli("models", "versions", "churn", "--json"))["versions"]
    assert [v["version"] for v in versions] == [2, 1]
    assert "champion" in _cli("models", "versions", "churn")
    one = json.loads(_cli("models", "version", "churn", "champion", "--json"))
    assert one["version"] == 2
    assert one["signature"]["inputs"][0]["name"] == "f0"
    assert "signature" in _cli("models", "version", "churn", "1")
    shown = json.loads(_cli("models", "show", "churn", "--json"))
    assert shown["model"]["aliases"] == {"champion": 2}
    _cli("models", "describe", "churn", "Churn model")
    _cli("models", "describe", "churn", "v1 text", "--version", "1")
    _cli("models", "tag", "churn", "owner=me", "--version", "champion")
    assert "Churn model" in _cli("models", "show", "churn")
    assert lm.get_model_version("churn", 2).tags == {"owner": "me"}
    _cli("models", "tag", "churn", "--delete", "owner", "--version", "2")
    assert lm.get_model_version("churn", 2).tags == {}
    target = tmp_path / "exported"
    _cli("models", "export", "churn@champion", str(target))
    assert (target / "loopml-model.json").is_file()
    assert (target / "model" / "model.pkl").is_file()
    _cli("models", "delete-version", "churn", "1", "--yes")
    assert [v.version for v in lm.list_model_versions("churn")] == [2]


def test_unknown_model_is_a_clear_error(sqlite_client) -> None:
    result = runner.invoke(app, ["models", "show", "nope"])
    assert result.exit_code != 0
    assert isinstance(result.exception, lm.LoopmlError)
    assert "no registered model 'nope'" in str(result.exception)

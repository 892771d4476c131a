from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app

runner = CliRunner()


@pytest.fixture
def runs(sqlite_client: lm.Client) -> list[str]:
    ids = []
    for index, model in enumerate(["gbm", "rf", "gbm"]):
        with lm.start_run("cli", name=f"run{index}", capture=False) as run:
            run.log_params({"model": model})
            run.log_metrics({"acc": 0.8 + index / 20})
            run.log_metric("loss", 1.0, step=0)
            run.log_metric("loss", 0.5, step=1)
            run.log_dict({"i": index}, "info.json")
        ids.append(run.id)
    return ids


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_experiments_list_json(runs: list[str]) -> None:
    body = json.loads(invoke("experiments", "list", "--json"))
    assert [(e["name"], e["runs"]) for e in body] == [("cli", 3)]


def test_experiments_create_rename_delete(sqlite_client: lm.Client) -> None:
    invoke("experiments", "create", "new", "-d", "about")
    invoke("experiments", "rename", "new", "renamed")
    invoke("experiments", "delete", "renamed", "--yes")
    assert json.loads(invoke("experiments", "list", "--json")) == []
    assert json.loads(invoke("experiments", "list", "--all", "--json"))[0]["deleted"] is True


def test_runs_list_filter_order_json(runs: list[str]) -> None:
    body = json.loads(
        invoke(
            "runs",
            "list",
            "-e",
            "cli",
            "-f",
            "params.model = 'gbm'",
            "-o",
            "metrics.acc desc",
            "--json",
        )
    )
    assert [r["name"] for r in body["runs"]] == ["run2", "run0"]
    assert body["next_page_token"] is None


def test_runs_list_table_and_paging(runs: list[str]) -> None:
    output = invoke("runs", "list", "-n", "2")
    assert "run2" in output
    assert "next page" in output


def test_runs_show_accepts_a_prefix(runs: list[str]) -> None:
    body = json.loads(invoke("runs", "show", runs[0][:8], "--json"))
    assert body["run"]["id"] == runs[0]
    assert body["run"]["params"] == {"model": "gbm"}
    assert [a["path"] for a in body["artifacts"]] == ["info.json"]
    assert "params" in invoke("runs", "show", runs[0])


def test_runs_compare(runs: list[str]) -> None:
    body = json.loads(invoke("runs", "compare", runs[0], runs[1], "--json"))
    assert body["values"]["params.model"] == ["gbm", "rf"]
    assert body["values"]["metrics.acc"] == pytest.approx([0.8, 0.85])


def test_runs_history_and_artifacts(runs: list[str], tmp_path: Path) -> None:
    points = json.loads(invoke("runs", "history", runs[0], "loss", "--json"))
    assert [(p["step"], p["value"]) for p in points] == [(0, 1.0), (1, 0.5)]
    assert json.loads(invoke("runs", "artifacts", runs[0], "--json"))[0]["path"] == "info.json"
    invoke("runs", "download", runs[0], "info.json", "--dest", str(tmp_path / "out"))
    assert json.loads((tmp_path / "out" / "info.json").read_text()) == {"i": 0}


def test_runs_delete_and_restore(runs: list[str]) -> None:
    invoke("runs", "delete", runs[0], "--yes")
    assert len(json.loads(invoke("runs", "list", "--json"))["runs"]) == 2
    invoke("runs", "restore", runs[0])
    assert len(json.loads(invoke("runs", "list", "--json"))["runs"]) == 3


def test_config_show_and_db_status(sqlite_client: lm.Client) -> None:
    settings = json.loads(invoke("config", "show", "--json"))
    assert settings["db_url"]["source"] == "argument"
    status = json.loads(invoke("db", "status", "--json"))
    assert status["up_to_date"] is True
    assert "already current" in invoke("db", "upgrade")


def test_errors_are_reported_without_a_traceback(tmp_path: Path) -> None:
    import subprocess
    import sys

    exe = Path(sys.executable).with_name("loopml")
    env_home = {"LOOPML_HOME": str(tmp_path / "h"), "PATH": str(exe.parent)}
    done = subprocess.run(
        [str(exe), "runs", "list", "-f", "metrics.acc >"],
        capture_output=True,
        text=True,
        env=env_home,
    )
    assert done.returncode == 1
    assert "InvalidFilter" in done.stderr
    assert "^" in done.stderr
    assert "Traceback" not in done.stderr

"""``loopml pipelines`` and ``loopml scheduler`` through the CLI."""

from __future__ import annotations

import json

from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app

runner = CliRunner()
TARGET = "tests.pipelines.flows:training"


def invoke(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def test_run_show_explain_graph_and_list(sqlite_client):
    done = invoke("pipelines", "run", TARGET, "-p", "n=8", "-p", "scales=[1.0, 2.0]")
    assert done.exit_code == 0, done.output
    assert "SUCCEEDED" in done.output
    assert "fit[1]" in done.output
    run_id = lm.list_pipeline_runs("training")[0].id
    assert lm.get_pipeline_run(run_id).params == {"n": 8, "scales": [1.0, 2.0]}

    again = invoke("pipelines", "run", TARGET, "-p", "n=8", "-p", "scales=[1.0, 2.0]", "--json")
    data = json.loads(again.output)
    assert {s["status"] for s in data["steps"]} == {"CACHED"}

    shown = json.loads(invoke("pipelines", "show", run_id[:10], "--json").output)
    assert shown["id"] == run_id
    assert len(shown["steps"]) == 7

    explained = invoke("pipelines", "explain", data["id"], "fit[1]")
    assert "CACHED" in explained.output
    assert "same key" in explained.output

    mermaid = invoke("pipelines", "graph", run_id, "--mermaid").output
    assert mermaid.startswith("flowchart TD")
    assert "class s0 ok" in mermaid
    text = invoke("pipelines", "graph", TARGET).output
    assert "best" in text
    assert "<- score[0], score[1], score[2]" in text

    listed = json.loads(invoke("pipelines", "list", "--json").output)
    assert listed[0]["pipeline"]["name"] == "training"
    assert listed[0]["latest_run"]["status"] == "SUCCEEDED"
    runs = json.loads(invoke("pipelines", "runs", "training", "--json").output)
    assert len(runs) == 2
    assert invoke("pipelines", "logs", run_id, "fit[0]").output.startswith("fitting")


def test_failed_run_exits_1_and_resumes(sqlite_client, tmp_path):
    flag = tmp_path / "flag"
    flag.write_text("x")
    failed = invoke("pipelines", "run", "tests.pipelines.flows:branches", "-p", f"flag={flag}")
    assert failed.exit_code == 1
    assert "FAILED" in failed.output
    run_id = lm.list_pipeline_runs("branches")[0].id
    shown = invoke("pipelines", "show", run_id)
    assert "RuntimeError: flag file present" in shown.output
    flag.unlink()
    resumed = invoke("pipelines", "resume", run_id, "--json")
    assert resumed.exit_code == 0
    assert json.loads(resumed.output)["resumed_from"] == run_id


def test_trigger_register_scheduler_and_cancel(sqlite_client):
    registered = invoke("pipelines", "register", "tests.pipelines.flows:squares")
    assert "registered squares" in registered.output
    queued = json.loads(invoke("pipelines", "trigger", "squares", "-p", "n=2", "--json").output)
    assert queued["status"] == "QUEUED"
    other = json.loads(invoke("pipelines", "trigger", "squares", "--json").output)
    assert json.loads(invoke("pipelines", "cancel", other["id"], "--json").output)["status"] == (
        "CANCELLED"
    )
    once = invoke("scheduler", "--once", "--source", "pipelines")
    assert once.exit_code == 0, once.output
    assert lm.get_pipeline_run(queued["id"]).status == "SUCCEEDED"


def test_bad_params_are_reported(sqlite_client):
    result = runner.invoke(app, ["pipelines", "run", TARGET, "-p", "n"])
    assert result.exit_code != 0
    assert "NAME=VALUE" in result.output

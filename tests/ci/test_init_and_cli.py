"""``loopml init`` scaffolds a project with a valid workflow and passing CI; ``loopml ci``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
import yaml
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.errors import AlreadyExists
from loopml.loop.demo import scenario
from tests.loop.conftest import MODEL, register

SCHEMA = Path(__file__).with_name("github-workflow.json")
ROOT = Path(__file__).resolve().parents[2]


def test_the_workflow_validates_against_githubs_schema(tmp_path) -> None:
    written = lm.init_project(tmp_path / "proj", "churn")
    names = {p.relative_to(tmp_path / "proj").as_posix() for p in written}
    expected = {
        "pipelines.py",
        "loopml.yaml",
        "behaviour.py",
        "bootstrap.py",
        "Makefile",
        "README.md",
        "tests/test_project.py",
        ".github/workflows/model-ci.yml",
    }
    assert expected <= names
    workflow = yaml.safe_load((tmp_path / "proj/.github/workflows/model-ci.yml").read_text())
    jsonschema.validate(workflow, json.loads(SCHEMA.read_text()))
    steps = " ".join(str(s.get("run", "")) for s in workflow["jobs"]["test-and-gate"]["steps"])
    assert "make test" in steps
    assert "loopml ci" in steps
    config = yaml.safe_load((tmp_path / "proj/loopml.yaml").read_text())
    loop = lm.Loop.from_dict(config["loops"][0])
    assert loop.model == "churn"
    assert config["ci"]["gates"] == config["loops"][0]["gates"]
    with pytest.raises(AlreadyExists, match="--force"):
        lm.init_project(tmp_path / "proj", "churn")


def test_a_broken_workflow_is_caught_by_the_schema() -> None:
    schema = json.loads(SCHEMA.read_text())
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"on": "push", "jobs": {"x": {"steps": []}}}, schema)


def test_the_scaffolded_project_tests_bootstraps_and_passes_ci(tmp_path) -> None:
    project = tmp_path / "proj"
    lm.init_project(project, "churn")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOPML_")}
    env |= {"LOOPML_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT / "src")}

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(args, cwd=project, env=env, capture_output=True, text=True,
                              timeout=300, check=False)  # fmt: skip

    tests = run(sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests")
    assert tests.returncode == 0, tests.stdout + tests.stderr
    boot = run(sys.executable, "bootstrap.py")
    assert boot.returncode == 0, boot.stderr
    gate = run(sys.executable, "-c", "from loopml.cli.main import main; main()", "ci")
    assert gate.returncode == 0, gate.stdout + gate.stderr
    suite = ET.parse(project / "loopml-ci.xml").getroot()
    assert suite.get("tests") == "5"
    assert suite.get("failures") == "0"
    assert "passed" in (project / "loopml-ci.md").read_text()


def test_loopml_ci_exits_1_and_writes_reports_when_a_gate_fails(sqlite_client, tmp_path) -> None:
    frame = scenario.rows(2000, seed=1)
    register(sqlite_client, scenario.fit(frame), frame[list(scenario.FEATURES)], alias="champion")
    lm.log_dataset(scenario.rows(300, drifted=True, seed=5), "holdout")
    after = scenario.rows(2000, drifted=True, seed=2)
    register(sqlite_client, scenario.fit(after), after[list(scenario.FEATURES)])
    config = tmp_path / "loopml.yaml"
    config.write_text(yaml.safe_dump({"ci": {
        "model": MODEL, "evaluation": "holdout@latest",
        "gates": [{"type": "beats_champion", "min_labels": 100},
                  {"type": "metric_floor", "metric": "accuracy", "min": 0.9, "min_labels": 100}],
    }}))  # fmt: skip
    junit, report = tmp_path / "ci.xml", tmp_path / "ci.md"
    args = ["ci", "--config", str(config), "--version", "1", "--junit", str(junit),
            "--markdown", str(report)]  # fmt: skip
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures")) == ("2", "1")
    assert "metric_accuracy | fail" in report.read_text()
    shown = CliRunner().invoke(app, ["models", "version", MODEL, "1", "--json"])
    assert json.loads(shown.output)["verdicts"][0]["passed"] is False
    table = CliRunner().invoke(app, ["models", "show", MODEL])
    assert "gate verdicts" in table.output


def test_loop_commands_apply_show_trigger_pause_and_rollback(deployed, tmp_path) -> None:
    client = deployed["client"]
    config = tmp_path / "loopml.yaml"
    config.write_text(yaml.safe_dump({"loops": [{
        "name": "cli-loop", "model": MODEL, "pipeline": "loopml.loop.demo.scenario:training",
        "monitor": MODEL, "triggers": [{"type": "alert"}], "training": False, "cooldown": "0s",
        "gates": [{"type": "signature"}],
    }]}))  # fmt: skip
    runner = CliRunner()
    assert runner.invoke(app, ["loop", "apply", str(config)]).exit_code == 0
    listed = json.loads(runner.invoke(app, ["loop", "list", "--json"]).output)
    assert [entry["name"] for entry in listed["loops"]] == ["cli-loop"]
    after = scenario.rows(2000, drifted=True, seed=2)
    register(client, scenario.fit(after), after[list(scenario.FEATURES)])
    client.models.set_alias(MODEL, "champion", 2)
    assert runner.invoke(app, ["loop", "pause", "cli-loop"]).exit_code == 0
    assert lm.get_loop("cli-loop").paused
    assert runner.invoke(app, ["loop", "resume", "cli-loop"]).exit_code == 0
    shown = runner.invoke(app, ["loop", "show", "cli-loop"])
    assert "cli-loop" in shown.output
    rolled = runner.invoke(app, ["rollback", MODEL, "--reason", "bad v2", "--json"])
    assert rolled.exit_code == 0, rolled.output
    change = json.loads(rolled.output)
    assert (change["version"], change["previous_version"], change["reason"]) == (1, 2, "bad v2")
    again = runner.invoke(app, ["rollback", MODEL, "--alias", "nope"])
    assert again.exit_code != 0

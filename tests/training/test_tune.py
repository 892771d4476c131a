from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid
from pathlib import Path

import optuna
import pandas as pd
import pytest
from sqlalchemy import create_engine, event, inspect, text
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.errors import InvalidInput
from loopml.training import StudyNotFound, history, history_svg
from tests.training.objectives import quadratic

SPACE = {"x": (-10.0, 10.0), "kind": ["a", "b"]}


class _Fixed:
    def __init__(self, params: dict) -> None:
        self.params = params


def _name() -> str:
    return f"study-{uuid.uuid4().hex[:8]}"


def test_study_is_a_parent_run_with_one_child_run_per_trial(client):
    name = _name()
    result = lm.tune(quadratic, SPACE, n_trials=15, seed=1, study=name, experiment="tune")
    assert result.n_trials == result.n_complete == 15
    assert result.best_value == pytest.approx(quadratic(_Fixed(result.best_params)))
    study_run = lm.get_run(result.run_id)
    assert study_run.status == "FINISHED"
    children = lm.search_runs(
        ["tune"], filter=f"tags.`loopml.tune.study` = '{name}'", output="list"
    )
    trials = [r for r in children if r.parent_id == result.run_id]
    assert len(trials) == 15
    assert result.best_value == min(r.metrics["value"] for r in trials)
    best = lm.get_run(result.best_run_id)
    assert float(best.params["x"]) == pytest.approx(result.best_params["x"])
    assert best.metrics["value"] == pytest.approx(result.best_value)
    assert study_run.tags["loopml.tune.best_run"] == result.best_run_id
    assert best.tags["loopml.tune.pid"] == str(os.getpid())
    # one attribute per trial in Optuna: the trial's run (the rest is on the run)
    trials = optuna.load_study(study_name=name, storage=client.tuner.storage).trials
    assert {tuple(t.user_attrs) for t in trials} == {("loopml_run_id",)}


def test_optuna_tables_live_beside_loopml_without_tripping_migrations(client):
    lm.tune(quadratic, SPACE, n_trials=2, study=_name())
    status = client.database_status()
    assert status["up_to_date"], status
    engine = create_engine(client.store.db.url)
    with engine.connect() as conn:
        tables = set(inspect(conn).get_table_names())
        loopml_revisions = set(
            conn.execute(text("select version_num from alembic_version")).scalars()
        )
        optuna_revisions = set(
            conn.execute(text("select version_num from optuna_alembic_version")).scalars()
        )
    engine.dispose()
    assert {"studies", "trials", "trial_intermediate_values", "optuna_alembic_version"} <= tables
    assert loopml_revisions == set(status["latest"])
    assert len(optuna_revisions) == 1
    assert not optuna_revisions & loopml_revisions
    lm.tune(quadratic, SPACE, n_trials=1, study=_name())  # Optuna opens the existing tables again


def _pruned_objective(trial) -> float:
    value = 0.0
    for step in range(5):
        value = trial.params["x"] + step
        trial.report(value, step)
    return value


def test_pruned_trials_keep_their_intermediate_values(client):
    name = _name()
    pruner = optuna.pruners.ThresholdPruner(upper=5.0)
    result = lm.tune(
        _pruned_objective, {"x": (0.0, 10.0)}, n_trials=12, seed=3, study=name, pruner=pruner
    )
    assert result.n_pruned > 0
    assert result.n_complete + result.n_pruned == 12
    summary = client.tuner.summary(name)
    pruned = [t for t in summary.trials if t.state == "PRUNED"]
    history_points = lm.get_metric_history(pruned[0].run_id, "value", output="list")
    assert [p.step for p in history_points] == sorted(pruned[0].intermediate)
    assert lm.get_run(pruned[0].run_id).tags["loopml.tune.state"] == "PRUNED"


def test_failing_trials_are_caught_when_asked_and_stop_the_search_otherwise(client):
    def flaky(trial):
        if trial.number % 2:
            raise ValueError("odd trial")
        return trial.params["x"]

    result = lm.tune(flaky, {"x": (0.0, 1.0)}, n_trials=4, study=_name(), catch=(ValueError,))
    assert result.n_complete == 2
    with pytest.raises(ValueError, match="odd trial"):
        lm.tune(flaky, {"x": (0.0, 1.0)}, n_trials=4, study=_name())


def test_bad_inputs_are_refused_before_anything_is_written(client):
    before = client.tuner.list_studies()
    with pytest.raises(InvalidInput, match="low < high"):
        lm.tune(quadratic, {"x": (1.0, 0.0)}, n_trials=2)
    with pytest.raises(InvalidInput, match="n_trials"):
        lm.tune(quadratic, SPACE, n_trials=0)
    with pytest.raises(InvalidInput, match="executor"):
        lm.tune(quadratic, SPACE, executor="ray://x")
    assert client.tuner.list_studies() == before
    with pytest.raises(StudyNotFound, match="no study 'nope'"):
        client.tuner.summary("nope")


def test_threads_and_processes_share_one_budget(client):
    name = _name()
    result = lm.tune(quadratic, SPACE, n_trials=8, study=name, n_jobs=2, executor="process")
    assert 8 <= result.n_trials <= 9  # two workers may both take the last slot
    threads = lm.tune(quadratic, SPACE, n_trials=6, study=_name(), n_jobs=3)
    assert 6 <= threads.n_trials <= 8


def test_resume_after_the_process_was_killed(tmp_path, sqlite_client):
    settings = sqlite_client.settings
    script = tmp_path / "search.py"
    script.write_text(
        textwrap.dedent(f"""
        import sys
        sys.path.insert(0, {str(Path.cwd())!r})
        import loopml as lm
        from tests.training.objectives import dies_at_third
        lm.configure(home={str(settings.home)!r}, db_url={settings.db_url!r},
                     artifacts={settings.artifacts!r})
        result = lm.tune(dies_at_third, {{"x": (-3.0, 3.0)}}, n_trials=6, study="resumable")
        print(result.n_complete)
    """)
    )
    killed = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False
    )
    assert killed.returncode == 9, killed.stderr
    summary = sqlite_client.tuner.summary("resumable")
    assert [t.state for t in summary.trials] == ["COMPLETE"] * 3 + ["RUNNING"]
    survived = subprocess.run(
        [sys.executable, str(script)],
        capture_output=True,
        text=True,
        check=False,
        env={**__import__("os").environ, "LOOPML_TEST_SURVIVE": "1"},
    )
    assert survived.returncode == 0, survived.stderr
    assert survived.stdout.strip() == "6"
    summary = sqlite_client.tuner.summary("resumable")
    states = [t.state for t in summary.trials]
    assert states.count("COMPLETE") == 6
    assert states[3] == "FAIL"
    assert lm.get_run(summary.trials[3].run_id).status == "KILLED"
    assert lm.get_run(summary.run_id).status == "FINISHED"


def test_tune_as_a_pipeline_step(sqlite_client):
    @lm.step
    def search() -> dict:
        return lm.tune(quadratic, SPACE, n_trials=4, study="in-a-step", seed=0).best_params

    @lm.pipeline
    def tuning():
        return search()

    run = tuning.run()
    assert set(run.outputs) == {"x", "kind"}
    summary = sqlite_client.tuner.summary("in-a-step")
    study_run = lm.get_run(summary.run_id)
    assert study_run.parent_id is not None  # nested under the step's run


def test_show_history_plot_and_html_report(client, tmp_path):
    name = _name()
    lm.tune(quadratic, SPACE, n_trials=5, study=name, seed=2)
    summary = client.tuner.summary(name)
    data = history(summary)
    assert [p["trial"] for p in data["points"]] == [0, 1, 2, 3, 4]
    bests = [p["value"] for p in data["best"]]
    assert bests == sorted(bests, reverse=True)  # minimizing: never gets worse
    svg = history_svg(summary)
    assert svg.startswith("<svg")
    assert svg.count("<circle") == 5
    runner = CliRunner()
    page = tmp_path / "study.html"
    shown = runner.invoke(app, ["tune", "show", name, "--html", str(page)])
    assert shown.exit_code == 0, shown.output
    assert "best" in shown.output
    assert "<svg" in page.read_text()
    listed = runner.invoke(app, ["tune", "list", "--json"])
    assert name in json.loads(listed.output)
    as_json = runner.invoke(app, ["tune", "show", name, "--json"])
    assert json.loads(as_json.output)["best"]["number"] == summary.best.number


def test_study_needs_a_database_file(tmp_path):
    lm.configure(home=str(tmp_path / "h"), db_url="sqlite://", artifacts=str(tmp_path / "a"))
    with pytest.raises(InvalidInput, match="in memory"):
        lm.tune(quadratic, SPACE, n_trials=1)
    assert pd is not None


def test_trials_on_a_dask_cluster(client):
    address = os.environ.get("LOOPML_TEST_DASK_URL")
    if not address:
        pytest.skip("LOOPML_TEST_DASK_URL is not set")

    def objective(trial) -> float:  # a local function: Dask ships it by value
        return (trial.params["x"] - 2.0) ** 2

    executor = "dask://" + address.removeprefix("tcp://").removeprefix("dask://")
    result = lm.tune(
        objective, {"x": (-5.0, 5.0)}, n_trials=4, study=_name(), n_jobs=2, executor=executor
    )
    assert 4 <= result.n_trials <= 5
    best = lm.get_run(result.best_run_id)
    assert best.parent_id == result.run_id
    assert int(best.tags["loopml.tune.pid"]) != os.getpid()  # ran in a Dask worker process


def _count(engine, name: str) -> list[int]:
    """A list that grows by one on every ``name`` event (``commit``, ``begin``) of ``engine``."""
    seen: list[int] = []
    event.listen(engine, name, lambda conn: seen.append(1))
    return seen


def test_a_trial_costs_two_loopml_transactions_and_none_in_optunas_engine(client, monkeypatch):
    import loopml.training.worker as worker

    name = _name()
    lm.tune(quadratic, SPACE, n_trials=1, study=name)  # the experiment and study exist
    per_trial: list[int] = []
    ours = _count(client.store.db.engine, "commit")
    run_one = worker.run_one

    def counted(*args, **kwargs):
        before = len(ours)
        run_one(*args, **kwargs)
        per_trial.append(len(ours) - before)

    monkeypatch.setattr(worker, "run_one", counted)
    theirs = _count(client.tuner.storage.engine, "commit")
    statements: list[str] = []
    event.listen(
        client.tuner.storage.engine,
        "before_cursor_execute",
        lambda conn, cursor, statement, *rest: statements.append(statement),
    )
    lm.tune(quadratic, SPACE, n_trials=6, study=name)
    # the run with params, tags and its id in Optuna; its end with metrics, state and status
    assert per_trial == [2] * 5
    assert not [s for s in statements if s.startswith("INSERT INTO trial_user_attributes")]
    assert len(optuna.load_study(study_name=name, storage=client.tuner.storage).trials) == 6
    tracked = len(theirs)

    # Optuna's own trial loop on the same storage and space commits as often: loopml adds
    # no transaction to Optuna's engine (its budget count is one statement in autocommit)
    bare = optuna.create_study(study_name=_name(), storage=client.tuner.storage)
    theirs.clear()
    bare.optimize(
        lambda t: quadratic(
            _Fixed(
                {
                    "x": t.suggest_float("x", -10, 10),
                    "kind": t.suggest_categorical("kind", ["a", "b"]),
                }
            )
        ),
        n_trials=5,
    )
    assert tracked <= len(theirs)
    runs = lm.search_runs(filter=f"tags.`loopml.tune.study` = '{name}'", output="list")
    trials = [r for r in runs if r.parent_id]
    assert len(trials) == 6
    assert all(r.tags["loopml.tune.state"] == "COMPLETE" and "value" in r.metrics for r in trials)
    assert all(set(r.params) == {"x", "kind"} for r in trials)

from __future__ import annotations

import json
import time

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.lineage import LineageNotFound
from tests.lineage.conftest import log_predictions, train


def test_two_model_versions_differ_in_data_params_and_metrics(client):
    first = train(client, seed=0)
    rng = np.random.default_rng(5)
    frame = pd.DataFrame({"x": rng.normal(size=80), "y": rng.integers(0, 2, 80)})
    with lm.start_run("lineage", params={"C": 0.5}) as run:
        lm.log_dataset(frame, "churn-data", run=run)
        run.log_metric("acc", 0.1)
        from sklearn.linear_model import LogisticRegression

        ref = run.log_model(
            LogisticRegression().fit(frame[["x"]], frame["y"]), "model", example=frame[["x"]][:3]
        )
    second = lm.register_model(ref, "churn")
    comparison = lm.diff("churn/1", f"churn/{second.version}")
    assert comparison.kind == "model_version"
    changed = comparison.differences
    assert {r.key for r in changed["params"]} == {"C"}
    assert [r.key for r in changed["metrics"]] == ["acc"]
    [data] = changed["data"]
    assert data.key == "used churn-data"
    assert data.a.startswith("v1 ")
    assert data.b.startswith("v2 ")
    assert not changed["environment"]  # same interpreter and packages
    body = json.loads(json.dumps(comparison.to_dict()))
    assert body["sections"]["params"][0] == {"key": "C", "a": "1.0", "b": "0.5", "changed": True}
    assert first.run_id != run.id


def test_dataset_versions_and_runs_can_be_compared_but_not_mixed(client, trained):
    lm.log_dataset(pd.DataFrame({"x": [1.0, 2.0], "z": ["a", "b"]}), "churn-data")
    comparison = lm.diff("datasets:/churn-data/1", "datasets:/churn-data/2")
    keys = {r.key for r in comparison.differences["schema"]}
    assert {"column y", "column z"} <= keys
    same = lm.diff(trained.run_id, trained.run_id)
    assert not any(same.differences.values())
    with pytest.raises(LineageNotFound, match="two runs, two model versions or two dataset"):
        lm.diff(trained.run_id, "churn/1")


def test_status_lists_what_is_stale_quickly(client, trained):
    assert lm.status().is_clean
    # a newer model is champion but the deployment still logs v1
    with lm.start_run("lineage") as run:
        from sklearn.dummy import DummyClassifier

        ref = run.log_model(DummyClassifier().fit([[0], [1]], [0, 1]), "model", example=[[0.0]])
    newer = lm.register_model(ref, "churn")
    lm.set_alias("churn", "champion", newer.version, force=True)  # other inputs on purpose
    # an overdue monitor with an open alert
    client.store.db  # noqa: B018 - the store is open
    from sqlalchemy import insert

    from loopml.store.tables import monitoring as mon

    old = int(time.time() * 1000) - 3 * 3600 * 1000
    with client.store.db.write() as conn:
        conn.execute(
            insert(mon.monitors).values(
                name="churn-drift",
                deployment="churn",
                reference_digest="0" * 64,
                config={"window_s": 600, "schedule": None},
                paused=False,
                created_at=old,
                updated_at=old,
            )
        )
        conn.execute(
            insert(mon.monitor_alerts).values(
                monitor="churn-drift",
                rule="drift.share > 0.3",
                severity="critical",
                status="open",
                open_key="churn-drift\x1fdrift.share > 0.3",
                opened_at=old,
                last_seen_at=old,
                window_end=old,
                value=0.5,
                message="drift share 0.5 > 0.3",
            )
        )
    started = time.perf_counter()
    report = lm.status()
    elapsed = time.perf_counter() - started
    kinds = {(i.kind, i.name) for i in report.items}
    assert ("deployment", "churn") in kinds
    assert ("monitor", "churn-drift") in kinds
    assert ("alert", "churn-drift: drift.share > 0.3") in kinds
    assert elapsed < 2.0  # the 0.2 s target is measured in bench/lineage, not timed here
    # the deployment moves to the champion: no longer stale
    log_predictions(client, "churn", "churn", newer.version, ["fresh-1"])
    client.lineages.predictions._listed = None
    assert ("deployment", "churn") not in {(i.kind, i.name) for i in lm.status().items}


def test_status_sees_a_pipeline_behind_its_data(client, tmp_path):
    lm.log_dataset(pd.DataFrame({"a": [1, 2]}), "raw")

    @lm.step
    def load() -> int:
        lm.use_dataset("raw")
        return 1

    @lm.pipeline
    def nightly():
        return load()

    nightly.run()
    assert not [i for i in lm.status().items if i.kind == "pipeline"]
    lm.log_dataset(pd.DataFrame({"a": [1, 2, 3]}), "raw")
    [item] = [i for i in lm.status().items if i.kind == "pipeline"]
    assert item.name == "nightly"
    assert "raw has v2" in item.reason


def test_cli_diff_and_status(client, trained):
    runner = CliRunner()
    shown = runner.invoke(app, ["diff", trained.run_id, trained.run_id])
    assert shown.exit_code == 0, shown.output
    assert "no differences" in shown.output
    as_json = runner.invoke(app, ["status", "--json"])
    assert as_json.exit_code == 0, as_json.output
    assert json.loads(as_json.output)["clean"] is True

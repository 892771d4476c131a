"""``loopml gc`` and retention: what nothing references goes, what anything references stays."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import insert, select
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.errors import ConfigError, Conflict
from loopml.store import leases
from loopml.store.events import EventLog
from loopml.store.retention import RetentionPolicy, apply_retention, parse_age
from loopml.store.tables import core, monitoring


def populate(client: lm.Client) -> dict:
    """A run with an artifact, a registered model, a pipeline-style loose blob, an orphan."""
    from sklearn.linear_model import LogisticRegression

    x = pd.DataFrame(np.random.default_rng(0).normal(size=(50, 2)), columns=["a", "b"])
    with lm.start_run("gc") as run:
        artifact = run.log_dict({"kept": True}, "kept.json")
        package = run.log_model(LogisticRegression().fit(x, x["a"] > 0), "model", example=x)
    lm.register_model(package, "gcmodel")
    orphan = client.store.blobs.put_bytes(b"nobody references me")
    client.store.put_blob(b"recorded but unreferenced")
    return {"artifact": artifact, "orphan": orphan.digest}


def check_collection(client: lm.Client) -> None:
    """The contract every artifact backend must keep (local here, S3 in integration)."""
    made = populate(client)
    store = client.store
    young = lm.collect_garbage()  # default grace: 24 h, so everything new stays
    assert young.deleted == []
    assert young.young >= 2
    dry = lm.collect_garbage(grace=dt.timedelta(0), dry_run=True)
    assert made["orphan"] in dry.deleted
    assert store.blobs.exists(made["orphan"])
    assert dry.freed_bytes >= len(b"nobody references me")
    done = lm.collect_garbage(grace=dt.timedelta(0))
    assert sorted(done.deleted) == sorted(dry.deleted)
    assert len(done.deleted) == 2
    assert not store.blobs.exists(made["orphan"])
    with store.db.read() as conn:
        digests = set(conn.execute(select(core.blobs.c.digest)).scalars())
    assert not digests & set(done.deleted)
    # everything referenced survived: the run's artifact, the model (manifest and files)
    loaded = lm.load_model("models:/gcmodel/1")
    assert len(loaded.predict(pd.DataFrame({"a": [1.0], "b": [0.0]}))) == 1
    assert lm.get_run(lm.search_runs("gc")["run_id"][0]).id
    again = lm.collect_garbage(grace=dt.timedelta(0))
    assert again.deleted == []
    assert again.referenced == again.scanned


def test_gc_deletes_only_unreferenced_old_blobs(sqlite_client):
    check_collection(sqlite_client)


def test_a_second_collector_waits_for_the_lease(sqlite_client):
    assert leases.acquire(sqlite_client.store.db, "gc", "someone-else", ttl_s=60)
    with pytest.raises(Conflict, match="another `loopml gc`"):
        lm.collect_garbage()


def test_cli_reports_json(sqlite_client):
    made = populate(sqlite_client)
    reply = CliRunner().invoke(app, ["gc", "--dry-run", "--grace", "1s", "--json"])
    assert reply.exit_code == 0, reply.output
    body = json.loads(reply.output)
    assert body["dry_run"] is True
    assert body["blobs"]["kept_young"] + body["blobs"]["deleted"] >= 2
    assert sqlite_client.store.blobs.exists(made["orphan"])


def test_retention_drops_old_days_per_deployment_and_old_results(sqlite_client):
    store = sqlite_client.store
    log = EventLog.from_store(store)
    now = dt.datetime(2026, 6, 30, 12, tzinfo=dt.UTC)
    for days_ago in (40, 10, 1):
        moment = now - dt.timedelta(days=days_ago)
        row = {"time": moment, "prediction_id": f"p{days_ago}", "deployment": "churn"}
        log.append("predictions/churn", [row])
        log.append("predictions/fraud", [{**row, "deployment": "fraud"}])
        log.append("feedback", [{"time": moment, "prediction_id": f"p{days_ago}", "label": 1.0}])
    with store.db.write() as conn:
        for days_ago in (200, 100, 1):
            end = int((now - dt.timedelta(days=days_ago)).timestamp() * 1000)
            conn.execute(
                insert(monitoring.monitor_results),
                {
                    "monitor": "churn", "window_start": end - 3600_000, "window_end": end,
                    "evaluated_at": end, "status": "ok", "rows": 1, "labelled": 0,
                    "metrics": {}, "detail": {},
                },
            )  # fmt: skip
    policy = RetentionPolicy.from_mapping(
        {
            "predictions": {"max_age": "30d"},
            "feedback": {"max_age": "5d"},
            "monitor_results": {"max_age": "150d", "keep_last": 1},
            "deployments": {"fraud": {"max_age": "7d"}},
        }
    )
    dry = apply_retention(store, policy, now=now, dry_run=True)
    assert dry.files == {"predictions/churn": 1, "predictions/fraud": 2, "feedback": 2}
    assert len(log.keys("predictions/churn")) == 3
    report = apply_retention(store, policy, now=now)
    assert report.files == dry.files
    assert report.freed_bytes > 0
    assert report.monitor_results == 2
    assert sorted(log.read("predictions/churn").column("prediction_id").to_pylist()) == [
        "p1",
        "p10",
    ]
    assert log.read("predictions/fraud").column("prediction_id").to_pylist() == ["p1"]
    assert log.read("feedback").column("prediction_id").to_pylist() == ["p1"]


@pytest.mark.parametrize("bad", ["soon", "0d", "-3h"])
def test_bad_ages_say_how_to_write_them(bad):
    with pytest.raises(ConfigError, match="30d"):
        parse_age(bad)
    with pytest.raises(ConfigError):
        RetentionPolicy.from_mapping({"predictions": {"max_age": bad}})


def test_scheduler_runs_retention_hourly_from_loopml_yaml(sqlite_client, tmp_path, monkeypatch):
    from loopml.store.retention import RetentionJobs

    (tmp_path / "loopml.yaml").write_text("retention:\n  feedback: {max_age: 2d}\n")
    monkeypatch.chdir(tmp_path)
    jobs = RetentionJobs(sqlite_client.store)
    now = dt.datetime(2026, 6, 30, 12, 30, tzinfo=dt.UTC)
    (job,) = jobs.due(now)
    assert jobs.due(now) == []  # once per hour
    assert jobs.next_due(now) == dt.datetime(2026, 6, 30, 13, tzinfo=dt.UTC)
    assert job.run().dry_run is False
    assert RetentionJobs(sqlite_client.store, RetentionPolicy()).due(now) == []

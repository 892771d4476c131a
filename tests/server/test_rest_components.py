"""REST over datasets, pipelines, feature views, monitors, alerts, feedback and deployments."""

from __future__ import annotations

import datetime as dt

import pandas as pd

import loopml as lm
from loopml.store.events import EventLog
from tests.monitoring.conftest import T0, features, write_predictions
from tests.pipelines import flows


def test_datasets_over_rest(api, client: lm.Client) -> None:
    frame = pd.DataFrame({"id": [1, 2, 3], "amount": [1.5, 2.5, None]})
    client.datasets.log_dataset(frame, "payments")
    client.datasets.log_dataset(frame.assign(amount=[1.0, 2.0, 3.0]), "payments")
    assert [d["name"] for d in api.get("/api/v1/datasets").json()] == ["payments"]
    assert api.get("/api/v1/datasets/payments").json()["num_versions"] == 2
    versions = api.get("/api/v1/datasets/payments/versions").json()
    assert sorted(v["version"] for v in versions) == [1, 2]
    latest = api.get("/api/v1/datasets/payments/versions/latest").json()
    assert (latest["version"], latest["num_rows"], latest["columns"]["id"]) == (2, 3, "int64")
    assert "columns" in latest["profile"]
    parquet = api.get("/api/v1/datasets/payments/versions/1/file")
    assert parquet.content[:4] == b"PAR1"
    diff = api.get("/api/v1/datasets/payments/diff", params={"old": "1", "new": "2"}).json()
    assert diff["diff"]
    assert api.get("/api/v1/datasets/nope").status_code == 404


def test_pipelines_over_rest(api, client: lm.Client) -> None:
    client.pipelines.register(flows.scheduled)
    listed = api.get("/api/v1/pipelines").json()
    assert [(p["name"], p["schedule"]) for p in listed] == [("every_five_minutes", "*/5 * * * *")]
    queued = api.post("/api/v1/pipelines/every_five_minutes/runs", json={"params": {"n": 2}})
    assert queued.status_code == 202
    run = queued.json()
    assert (run["status"], run["params"]["n"], run["trigger"]) == ("QUEUED", 2, "trigger")
    assert run["trigger_info"]["source"] == "rest"
    client.pipelines.run_queued()
    done = api.get(f"/api/v1/pipeline-runs/{run['id']}").json()
    assert done["status"] == "SUCCEEDED"
    step = done["steps"][0]["name"]
    assert api.get(f"/api/v1/pipeline-runs/{run['id']}/steps/{step}").json()["status"] in {
        "SUCCEEDED",
        "CACHED",
    }
    assert "text" in api.get(f"/api/v1/pipeline-runs/{run['id']}/steps/{step}/logs").json()
    graph = api.get(f"/api/v1/pipeline-runs/{run['id']}/graph", params={"format": "mermaid"})
    assert "graph" in graph.json()["text"] or "flowchart" in graph.json()["text"]
    assert [r["id"] for r in api.get("/api/v1/pipeline-runs").json()] == [run["id"]]
    assert api.post("/api/v1/pipelines/os:system/runs", json={}).status_code == 404
    assert api.get("/api/v1/pipeline-runs/os:getcwd/graph").status_code == 404


def test_feature_views_over_rest(api, client: lm.Client, tmp_path) -> None:
    source = tmp_path / "activity.parquet"
    pd.DataFrame(
        {
            "customer_id": [1, 2],
            "ts": pd.to_datetime(["2024-01-01", "2024-01-02"]).tz_localize("UTC"),
            "orders": [3, 4],
        }
    ).to_parquet(source)
    view = lm.FeatureView("activity", lm.Entity("customer_id"), str(source), "ts", ["orders"])
    client.features.apply([view])
    client.features.materialize(end=dt.datetime(2024, 1, 3, tzinfo=dt.UTC))
    assert [v["name"] for v in api.get("/api/v1/features/views").json()] == ["activity"]
    assert api.get("/api/v1/features/views/activity").json()["version"] == 1
    assert [e["name"] for e in api.get("/api/v1/features/entities").json()] == ["customer_id"]
    online = api.post(
        "/api/v1/features/online",
        json={"entities": {"customer_id": [1, 2, 9]}, "features": ["activity:orders"]},
    ).json()
    assert online["columns"]["orders"][:2] == [3, 4]
    assert online["columns"]["orders"][2] is None


def test_monitors_alerts_feedback_and_deployments_over_rest(api, client: lm.Client) -> None:
    with client.runs.start_run("churn", capture=False) as run:
        run.log_table(features(2000, 1), "reference.parquet")
    monitor = lm.Monitor(
        "churn",
        reference=f"runs:/{run.id}/reference.parquet",
        window="1h",
        rules=[lm.Rule("drift.share > 0.3", severity="critical")],
    )
    client.monitors.save(monitor)
    ids = write_predictions(EventLog.from_store(client.store), features(500, 2, shift=1.0), T0)
    assert api.get("/api/v1/monitors").json()[0]["name"] == "churn"
    feedback = api.post("/api/v1/feedback", json={"prediction_id": ids[0], "label": 1}).json()
    assert feedback["written"] == 1
    end = (T0 + dt.timedelta(hours=1)).isoformat()
    result = api.post("/api/v1/monitors/churn/runs", json={"window_end": end}).json()
    assert result.get("labelled") == 1, result
    assert result["drift_share"] > 0.3
    assert len(api.get("/api/v1/monitors/churn/results").json()) == 1
    alerts = api.get("/api/v1/alerts").json()
    assert [(a["monitor"], a["severity"], a["status"]) for a in alerts] == [
        ("churn", "critical", "open")
    ]
    events = api.get("/api/v1/alerts/events").json()
    assert [e["kind"] for e in events] == ["opened"]
    assert api.post("/api/v1/monitors/churn/pause").json()["paused"] is True
    assert api.get("/api/v1/deployments").json() == ["churn"]
    rows = api.get(
        "/api/v1/deployments/churn/predictions",
        params={"since": "2026-01-05T00:00:00+00:00", "limit": 10},
    ).json()["rows"]
    assert len(rows) == 10
    assert api.delete("/api/v1/monitors/churn").json() == {"deleted": True}
    assert api.get("/api/v1/monitors/churn").status_code == 404

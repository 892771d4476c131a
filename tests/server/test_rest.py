"""The REST API of tracking and the registry, in-process over SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm


def test_runs_round_trip_over_rest(api) -> None:
    created = api.post(
        "/api/v1/runs", json={"experiment": "rest", "name": "r1", "params": {"lr": "0.1"}}
    )
    assert created.status_code == 201
    run = created.json()
    assert (run["experiment"], run["name"], run["status"]) == ("rest", "r1", "RUNNING")
    run_id = run["id"]
    points = [
        {"key": "loss", "value": 1 / (s + 1), "step": s, "timestamp": 1000 + s} for s in range(5)
    ]
    points.append({"key": "odd", "value": "NaN", "step": 0, "timestamp": 1})
    logged = api.post(
        f"/api/v1/runs/{run_id}/log-batch",
        json={"metrics": points, "params": {"depth": "3"}, "tags": {"team": "core"}},
    )
    assert logged.json() == {"metrics": 6, "params": 1, "tags": 1}
    history = api.get(f"/api/v1/runs/{run_id}/metrics/loss").json()
    assert [p["step"] for p in history] == [0, 1, 2, 3, 4]
    assert api.get(f"/api/v1/runs/{run_id}/metrics/odd").json()[0]["value"] == "NaN"
    upload = api.put(
        f"/api/v1/runs/{run_id}/artifacts/reports/summary.txt",
        content=b"all good",
        headers={"content-type": "text/plain"},
    )
    assert upload.status_code == 201
    assert upload.json()["size"] == 8
    assert api.get(f"/api/v1/runs/{run_id}/artifacts/reports/summary.txt").content == b"all good"
    listing = api.get(f"/api/v1/runs/{run_id}/artifacts", params={"prefix": "reports"}).json()
    assert [a["path"] for a in listing] == ["reports/summary.txt"]
    ended = api.post(f"/api/v1/runs/{run_id}/end", json={"status": "FINISHED"}).json()
    assert ended["status"] == "FINISHED"
    late = api.post(f"/api/v1/runs/{run_id}/log-batch", json={"params": {"x": "1"}})
    assert late.status_code == 409
    assert late.json()["error"] == "RunNotActive"
    found = api.post(
        "/api/v1/runs/search",
        json={"experiments": ["rest"], "filter": "metrics.loss < 0.5 and params.depth = '3'"},
    ).json()
    assert [r["id"] for r in found["runs"]] == [run_id]
    assert found["runs"][0]["metrics"]["loss"] == 0.2
    by_get = api.get("/api/v1/runs", params={"experiment": "rest", "filter": "tags.team = 'core'"})
    assert [r["id"] for r in by_get.json()["runs"]] == [run_id]
    resumed = api.post(f"/api/v1/runs/{run_id}/resume").json()
    assert resumed["next_steps"] == {"loss": 5, "odd": 1}
    assert resumed["params"] == {"lr": "0.1", "depth": "3"}


def test_param_conflicts_and_bad_input_are_clear_4xx(api) -> None:
    run_id = api.post("/api/v1/runs", json={"params": {"lr": "0.1"}}).json()["id"]
    conflict = api.post(f"/api/v1/runs/{run_id}/log-batch", json={"params": {"lr": "0.2"}})
    assert conflict.status_code == 409
    assert "already '0.1'" in conflict.json()["message"]
    bad_key = api.post(
        f"/api/v1/runs/{run_id}/log-batch",
        json={"metrics": [{"key": "bad key!", "value": 1, "step": 0, "timestamp": 0}]},
    )
    assert bad_key.status_code == 422
    assert bad_key.json()["error_code"] == "INVALID_PARAMETER_VALUE"
    assert api.get("/api/v1/runs/" + "0" * 32).status_code == 404
    bad_filter = api.post("/api/v1/runs/search", json={"filter": "metrics.acc >"})
    assert bad_filter.status_code == 422
    assert bad_filter.json()["error"] == "InvalidFilter"
    not_json = api.post(
        "/api/v1/runs", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert api.get("/api/v1/nothing-here").json()["error"] == "NotFound"


def test_experiments_over_rest(api) -> None:
    assert (
        api.post("/api/v1/experiments", json={"name": "a", "description": "first"}).status_code
        == 201
    )
    assert api.post("/api/v1/experiments", json={"name": "a"}).status_code == 409
    renamed = api.patch("/api/v1/experiments/a", json={"name": "b"}).json()
    assert renamed["name"] == "b"
    assert api.get(f"/api/v1/experiments/{renamed['id']}").json()["description"] == "first"
    assert api.get("/api/v1/experiments/b/count").json() == {"count": 0}
    assert api.delete("/api/v1/experiments/b").json()["deleted_at"] is not None
    assert [e["name"] for e in api.get("/api/v1/experiments").json()] == []


def test_registry_over_rest(api, client: lm.Client) -> None:
    x = np.array([[0.0], [1.0], [2.0], [3.0]])
    with client.runs.start_run("models", capture=False) as run:
        run.log_model(LogisticRegression().fit(x, [0, 0, 1, 1]), "model")
    registered = api.post("/api/v1/models/churn/versions", json={"source": f"runs:/{run.id}/model"})
    assert registered.status_code == 201
    assert registered.json()["version"] == 1
    assert registered.json()["flavor"] == "sklearn"
    promoted = api.put(
        "/api/v1/models/churn/aliases/champion", json={"version": 1, "reason": "best"}
    )
    assert promoted.json()["action"] == "set"
    assert api.put("/api/v1/models/churn/aliases/champion", json={"version": 1}).json() is None
    assert api.get("/api/v1/models/churn/aliases/champion").json()["version"] == 1
    assert api.get("/api/v1/models/churn").json()["aliases"] == {"champion": 1}
    api.put("/api/v1/models/churn/versions/1/tags", json={"tags": {"ok": "yes"}})
    assert api.get("/api/v1/models/churn/versions/latest").json()["tags"] == {"ok": "yes"}
    blocked = api.delete("/api/v1/models/churn/versions/1")
    assert blocked.status_code == 409
    removed = api.delete("/api/v1/models/churn/aliases/champion", params={"reason": "retired"})
    assert removed.json()["action"] == "deleted"
    history = api.get("/api/v1/models/churn/history").json()
    assert [(h["action"], h["reason"]) for h in history] == [
        ("set", "best"),
        ("deleted", "retired"),
    ]
    assert api.get("/api/v1/models/nope").status_code == 404
    # digits int() refuses ("²") or reads in another script ("٣") are not version numbers
    for odd in ("\u00b2", "\u0663"):
        assert 400 <= api.get(f"/api/v1/models/churn/versions/{odd}").status_code < 500
        assert 400 <= api.get(f"/api/v1/experiments/{odd}").status_code < 500
    loaded = client.models.load_model("models:/churn/1")
    assert list(loaded.predict(x)) == [0, 0, 1, 1]


@pytest.mark.parametrize("permission", ["runs:read", "models:promote"])
def test_every_route_declares_its_permission_to_the_authorizer(api, permission) -> None:
    seen = []
    installed = api.app.state.authorizer

    def authorizer(request, wanted):
        seen.append(wanted)
        return None if installed is None else installed(request, wanted)

    api.app.state.authorizer = authorizer
    if permission == "runs:read":
        api.get("/api/v1/runs")
    else:
        api.put("/api/v1/models/none/aliases/champion", json={"version": 1})
    assert seen == [permission]

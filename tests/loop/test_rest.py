"""/api/v1/loops on the platform server: list, show, runs, events, trigger, pause, resume."""

from __future__ import annotations

from fastapi.testclient import TestClient

import loopml as lm
from loopml.server.app import create_app
from tests.loop.conftest import make_loop


def test_loops_over_rest(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop())
    with TestClient(create_app(client), client=("127.0.0.1", 50000)) as http:
        listed = http.get("/api/v1/loops")
        assert listed.status_code == 200, listed.text
        assert [loop["name"] for loop in listed.json()] == ["churn-loop"]
        assert http.get("/api/v1/loops/churn-loop").json()["paused"] is False
        assert http.get("/api/v1/loops/nope").status_code == 404
        assert http.post("/api/v1/loops/churn-loop/pause").json()["paused"] is True
        assert http.post("/api/v1/loops/churn-loop/resume").json()["paused"] is False
        bad = http.post("/api/v1/loops/churn-loop/trigger", json={"reason": 3})
        assert bad.status_code == 422
        queued = http.post("/api/v1/loops/churn-loop/trigger", json={"reason": "new data"})
        assert queued.status_code == 200, queued.text
        run = queued.json()
        assert run["loop"] == "churn-loop"
        assert "http" in str(run["cause"])
        assert "new data" in str(run["cause"])
        busy = http.post("/api/v1/loops/churn-loop/trigger", json={})
        assert busy.status_code == 409
        runs = http.get("/api/v1/loops/churn-loop/runs").json()
        assert [r["id"] for r in runs] == [run["id"]]
        kinds = [e["kind"] for e in http.get("/api/v1/loops/churn-loop/events").json()]
        assert "paused" in kinds
        assert "resumed" in kinds

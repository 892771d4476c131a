"""Bodies over the limit get 413 without being read: declared or streamed."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from loopml.server.app import create_app


def test_bodies_over_the_limit_get_413(sqlite_client) -> None:
    app = create_app(sqlite_client, max_body=1000)
    with TestClient(app, client=("127.0.0.1", 50000)) as api:
        run_id = api.post("/api/v1/runs", json={}).json()["id"]
        declared = api.put(f"/api/v1/runs/{run_id}/artifacts/big.bin", content=b"x" * 5000)
        assert declared.status_code == 413
        assert declared.json()["error"] == "RequestTooLarge"

        def chunks():
            for _ in range(10):
                yield b"y" * 400

        streamed = api.put(f"/api/v1/runs/{run_id}/artifacts/streamed.bin", content=chunks())
        assert streamed.status_code == 413
        small = api.put(f"/api/v1/runs/{run_id}/artifacts/small.bin", content=b"z" * 10)
        assert small.status_code == 201
        assert [a["path"] for a in api.get(f"/api/v1/runs/{run_id}/artifacts").json()] == [
            "small.bin"
        ]


def test_json_bodies_over_the_limit_get_413_on_every_api(sqlite_client) -> None:
    app = create_app(sqlite_client, max_body=1000)
    batch = {"metrics": [{"key": "m", "value": 1.0, "step": i, "timestamp": 1} for i in range(50)]}
    with TestClient(app, client=("127.0.0.1", 50000)) as api:
        run_id = api.post("/api/v1/runs", json={}).json()["id"]
        experiment_id = str(sqlite_client.runs.get_run(run_id).experiment_id)

        def streamed(payload: dict[str, object]):
            text = json.dumps(payload).encode()
            for start in range(0, len(text), 300):
                yield text[start : start + 300]

        for path, payload in (
            (f"/api/v1/runs/{run_id}/log-batch", batch),
            ("/api/2.0/mlflow/runs/log-batch", {"run_id": run_id, **batch}),
        ):
            declared = api.post(path, json=payload)
            assert declared.status_code == 413, declared.text
            assert declared.json()["error_code"] == "REQUEST_LIMIT_EXCEEDED"
            chunked = api.post(
                path, content=streamed(payload), headers={"Content-Type": "application/json"}
            )
            assert chunked.status_code == 413, chunked.text
        upload = f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/{run_id}/artifacts/big.bin"
        assert api.put(upload, content=b"x" * 5000).status_code == 413
        assert api.get(f"/api/v1/runs/{run_id}").json()["metrics"] == {}

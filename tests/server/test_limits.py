"""Bodies over the limit get 413 without being read: declared or streamed."""

from __future__ import annotations

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

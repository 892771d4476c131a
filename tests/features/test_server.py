"""The HTTP feature server, through a real uvicorn server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
import uvicorn

from loopml.errors import InvalidInput
from loopml.features.server import create_app, dumps, parse_request
from tests.features.conftest import activity_view

if TYPE_CHECKING:
    from collections.abc import Iterator

    import loopml as lm


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(sfs: lm.FeatureStore, activity: Path) -> Iterator[str]:
    sfs.apply([activity_view(activity, ttl=None)])
    sfs.materialize()
    port = free_port()
    config = uvicorn.Config(
        create_app(sfs.service), host="127.0.0.1", port=port, log_level="warning"
    )
    running = uvicorn.Server(config)
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started and time.monotonic() < deadline:
        time.sleep(0.01)
    yield f"http://127.0.0.1:{port}"
    running.should_exit = True
    thread.join(timeout=10)


def test_online_features_over_http(server: str) -> None:
    body = {
        "entities": {"customer_id": [1, 2, 9]},
        "features": ["activity:orders", "activity:tier"],
    }
    with httpx.Client(base_url=server) as http:
        assert http.get("/health").json() == {"status": "ok"}
        response = http.post("/online-features", json=body)
        assert response.status_code == 200
        assert response.json()["results"] == {
            "customer_id": [1, 2, 9],
            "orders": [2, 4, None],
            "tier": ["b", None, None],
        }
        assert http.post("/get-online-features", json={**body, "full_names": True}).json()[
            "results"
        ]["activity__orders"] == [2, 4, None]
        views = http.get("/views").json()["views"]
        assert views[0]["name"] == "activity"
        assert views[0]["features"]["orders"] == "int64"


def test_errors_come_back_as_json_with_their_status(server: str) -> None:
    with httpx.Client(base_url=server) as http:
        missing = http.post(
            "/online-features",
            json={"entities": {"customer_id": [1]}, "features": ["activity:nope"]},
        )
        assert missing.status_code == 404
        assert missing.json()["error"] == "FeatureNotFound"
        bad = http.post("/online-features", content=b"{not json")
        assert bad.status_code == 422
        assert "not JSON" in bad.json()["message"]
        wrong_key = http.post(
            "/online-features", json={"entities": {"cid": [1]}, "features": ["activity:orders"]}
        )
        assert wrong_key.status_code == 422
        assert "'customer_id' is missing" in wrong_key.json()["message"]


def test_request_shape_is_checked() -> None:
    assert parse_request(b'{"entities": {"k": [1]}, "features": ["v:f"]}') == (
        {"k": [1]},
        ["v:f"],
        False,
    )
    for body, message in [
        (b"[]", "must be"),
        (b'{"entities": {"k": 1}, "features": ["v:f"]}', "map entity columns to lists"),
        (b'{"entities": {"k": [1]}, "features": "v:f"}', '"features" must be a list'),
    ]:
        with pytest.raises(InvalidInput, match=message):
            parse_request(body)


def test_json_output_has_no_nan() -> None:
    assert json.loads(dumps({"a": [float("nan"), 1.5, float("inf")]})) == {"a": [None, 1.5, None]}


def test_loopml_features_serve_starts_fast(
    sfs: lm.FeatureStore, activity: Path, tmp_path: Path
) -> None:
    sfs.apply([activity_view(activity, ttl=None)])
    sfs.materialize()
    settings = sfs._client.settings
    env = dict(
        os.environ,
        LOOPML_HOME=str(settings.home),
        LOOPML_DB_URL=settings.db_url,
        LOOPML_ONLINE_STORE=settings.online_store,
    )
    port = free_port()
    exe = Path(sys.executable).with_name("loopml")
    started = time.monotonic()
    proc = subprocess.Popen(
        [str(exe), "features", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        ready = None
        while time.monotonic() - started < 20 and proc.poll() is None:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=1).status_code == 200:
                    ready = time.monotonic() - started
                    break
            except httpx.TransportError:
                time.sleep(0.02)
        assert ready is not None, (
            proc.stderr.read().decode() if proc.poll() is not None else "not ready"
        )
        assert ready < 10  # about 1.2 s on a quiet machine; the bound allows a loaded CI box
        body = {"entities": {"customer_id": ["2"]}, "features": ["activity:orders"]}
        assert httpx.post(f"http://127.0.0.1:{port}/online-features", json=body).json()["results"][
            "orders"
        ] == [4]
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=20)
        proc.stderr.close()


def test_the_serving_path_imports_no_pandas_or_duckdb() -> None:
    probe = (
        "import sys, loopml.features.service, loopml.features.server; "
        "print(','.join(m for m in ('pandas', 'duckdb', 'pyarrow') if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == ""

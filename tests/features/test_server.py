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
        assert bad.status_code == 400
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


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"entities": {"customer_id": [None]}, "features": ["activity:orders"]}, "[0]"),
        ({"entities": {"customer_id": [2**63]}, "features": ["activity:orders"]}, "[0]"),
        ({"entities": {"customer_id": [True]}, "features": ["activity:orders"]}, "[0]"),
        ({"entities": {"customer_id": [1, 2], "x": [1]}, "features": ["activity:orders"]}, ""),
        (
            {"entities": {"customer_id": [1]}, "features": ["activity:orders"], "full_names": "no"},
            "full_names",
        ),
        ({"entities": {"customer_id": [1]}, "features": ["activity:orders"], "extra": 1}, "extra"),
    ],
)
def test_bad_lookups_are_422_naming_the_field(server: str, body, field) -> None:
    response = httpx.post(f"{server}/online-features", json=body)
    assert response.status_code == 422
    assert field in response.json()["field"]


def test_wrong_content_type_and_method_are_json_errors(server: str) -> None:
    form = httpx.post(f"{server}/online-features", content=b"a=1",
                      headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
    assert form.status_code == 415
    wrong = httpx.get(f"{server}/online-features")
    assert wrong.status_code == 405
    assert "message" in wrong.json()


def test_a_body_over_the_limit_is_refused_unread(sfs: lm.FeatureStore, activity: Path) -> None:
    import asyncio

    sfs.apply([activity_view(activity, ttl=None)])
    app = create_app(sfs.service, max_body_mb=1)
    chunk = b"1," * 32_768
    sent: list[dict] = []
    reads = 0

    async def receive():
        nonlocal reads
        reads += 1
        return {"type": "http.request", "body": chunk, "more_body": reads < 10_000}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/online-features", "headers": [],
             "query_string": b"", "root_path": "", "scheme": "http", "server": ("t", 80),
             "http_version": "1.1", "client": ("t", 1)}  # fmt: skip
    asyncio.run(app(scope, receive, send))
    assert sent[0]["status"] == 413
    assert reads <= 17  # 1 MiB in 64 KiB chunks, then it stops reading
    declared = {**scope, "headers": [(b"content-length", b"100000000")]}
    sent.clear()
    asyncio.run(app(declared, receive, send))
    assert sent[0]["status"] == 413


def test_the_openapi_document_has_the_lookup_body_and_errors(server: str) -> None:
    spec = httpx.get(f"{server}/openapi.json").json()
    lookup = spec["paths"]["/online-features"]["post"]
    assert lookup["requestBody"]["content"]["application/json"]["schema"]["required"] == [
        "entities",
        "features",
    ]
    assert {"400", "404", "413", "415", "422"} <= set(lookup["responses"])


@pytest.mark.slow
def test_fuzzing_the_feature_server_finds_no_server_error(server: str) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from hypothesis.errors import Unsatisfiable

    schema = schemathesis.openapi.from_dict(httpx.get(f"{server}/openapi.json").json())
    errors: list[str] = []
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            try:
                _fuzz_operation(server, operation, mode, errors)
            except Unsatisfiable:
                assert mode is schemathesis.GenerationMode.NEGATIVE
    assert errors == []


def _fuzz_operation(server, operation, mode, errors) -> None:
    from hypothesis import HealthCheck, given, settings

    @settings(max_examples=15, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))  # fmt: skip
    @given(case=operation.as_strategy(generation_mode=mode))
    def check(case):
        response = case.call(base_url=server, timeout=20)
        if response.status_code >= 500:
            errors.append(f"{operation.label}: {response.text[:200]} <- {case.body!r:.200}")

    check()

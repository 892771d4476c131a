"""A slow or absent PostgreSQL, Redis or S3 gives a clear error in seconds, never a hang.

Two kinds of bad server on 127.0.0.1: a port where nothing listens, and a server that
accepts connections and never answers (the worst case for a client without timeouts).
"""

from __future__ import annotations

import socket
import threading
import time

import pytest

from loopml.errors import BackendUnavailable, ConfigError
from loopml.store import Database


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def silent_server():
    """A TCP server that accepts every connection and never sends a byte."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(64)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                held.append(conn)
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield server.getsockname()[1]
    stop.set()
    thread.join(timeout=5)
    for conn in held:
        conn.close()
    server.close()


def test_postgres_where_nothing_listens_fails_fast_and_clearly():
    port = _free_port()
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"(?s)metadata database .*LOOPML_DB_URL"):
        Database(f"postgresql://postgres@127.0.0.1:{port}/loopml")
    assert time.monotonic() - started < 20  # three retries with backoff, then give up


def test_postgres_that_never_answers_times_out(silent_server):
    url = f"postgresql://postgres@127.0.0.1:{silent_server}/loopml?connect_timeout=1"
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="metadata database"):
        Database(url)
    assert time.monotonic() - started < 30


def test_postgres_engine_gets_timeouts_and_pool_settings(monkeypatch):
    pytest.importorskip("psycopg")
    monkeypatch.setenv("LOOPML_DB_POOL_SIZE", "7")
    db = Database("postgresql://postgres@127.0.0.1:1/x", migrate=False)
    query = db.engine.url.query
    assert query["connect_timeout"] == "10"
    assert "statement_timeout=" in query["options"]
    assert db.engine.pool.size() == 7
    own = Database("postgresql://u@127.0.0.1:1/x?connect_timeout=3", migrate=False)
    assert own.engine.url.query["connect_timeout"] == "3"  # the URL wins


def test_bad_pool_size_is_a_clear_error(monkeypatch):
    monkeypatch.setenv("LOOPML_DB_POOL_SIZE", "lots")
    with pytest.raises(ConfigError, match="LOOPML_DB_POOL_SIZE"):
        Database("postgresql://u@127.0.0.1:1/x", migrate=False)


@pytest.mark.parametrize("kind", ["absent", "silent"])
def test_redis_fails_fast_and_clearly(kind, silent_server):
    pytest.importorskip("redis")
    from loopml.features.online.redis import RedisOnlineStore

    port = silent_server if kind == "silent" else _free_port()
    store = RedisOnlineStore(
        f"redis://127.0.0.1:{port}/0?socket_timeout=1&socket_connect_timeout=1"
    )
    started = time.monotonic()
    with pytest.raises(BackendUnavailable):
        store.read("t", [b"k"])
    assert time.monotonic() - started < 30


@pytest.mark.parametrize("kind", ["absent", "silent"])
def test_s3_fails_fast_and_clearly(kind, silent_server):
    pytest.importorskip("s3fs")
    from loopml.store.blob_backends.fsspec import FsspecBlobBackend

    port = silent_server if kind == "silent" else _free_port()
    backend = FsspecBlobBackend(
        "s3://bucket/prefix",
        endpoint_url=f"http://127.0.0.1:{port}",
        key="testing",
        secret="testing",
        config_kwargs={"connect_timeout": 1, "read_timeout": 1, "retries": {"max_attempts": 2}},
    )
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match="cannot reach the artifact store"):
        backend.get_bytes("blobs/x")
    assert time.monotonic() - started < 60

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

import pytest

from loopml import _registry
from loopml.errors import BackendUnavailable, UnknownBackend
from loopml.features.online import OnlineStore, open_online_store
from loopml.features.online.redis import RedisOnlineStore, split_prefix
from loopml.features.online.sqlite import SqliteOnlineStore, sqlite_path
from loopml.testing.online_store import OnlineStoreContract, table, value

if TYPE_CHECKING:
    from pathlib import Path


class TestSqliteFileOnlineStore(OnlineStoreContract):
    @pytest.fixture
    def online_store(self, tmp_path: Path):
        store = SqliteOnlineStore(f"sqlite:///{tmp_path / 'online.db'}")
        yield store
        store.close()


class TestSqliteMemoryOnlineStore(OnlineStoreContract):
    @pytest.fixture
    def online_store(self):
        store = SqliteOnlineStore("sqlite://")
        yield store
        store.close()


@pytest.mark.redis
class TestRedisOnlineStore(OnlineStoreContract):
    @pytest.fixture
    def online_store(self, redis_url: str):
        store = RedisOnlineStore(redis_url)
        yield store
        store.close()


def test_backends_are_picked_by_url_scheme(tmp_path: Path) -> None:
    store = open_online_store(f"sqlite:///{tmp_path / 'x.db'}")
    assert isinstance(store, SqliteOnlineStore)
    assert isinstance(store, OnlineStore)
    assert _registry.lookup("online", "redis").endswith("RedisOnlineStore")
    with pytest.raises(UnknownBackend, match="no online backend for scheme 'dynamodb'"):
        open_online_store("dynamodb://table")


def test_sqlite_paths_follow_sqlalchemy_conventions() -> None:
    assert sqlite_path("sqlite:////abs/online.db") == "/abs/online.db"
    assert sqlite_path("sqlite:///rel/online.db") == "rel/online.db"
    assert sqlite_path("sqlite://") == ":memory:"


def test_redis_prefix_comes_from_the_url() -> None:
    assert split_prefix("redis://h:1/0?prefix=abc") == ("redis://h:1/0", "abc")
    assert split_prefix("redis://h:1/0?ssl_cert_reqs=none") == (
        "redis://h:1/0?ssl_cert_reqs=none",
        "loopml",
    )


def test_failed_sqlite_batch_leaves_previous_values(tmp_path: Path) -> None:
    store = SqliteOnlineStore(f"sqlite:///{tmp_path / 'online.db'}")
    name = table()
    store.write_batch(name, [b"1", b"2"], [value(1.0, b"old1"), value(1.0, b"old2")], [1.0, 1.0])
    bad_values = [value(2.0, b"new1"), object()]  # the second row cannot be bound
    with pytest.raises(Exception, match="type"):
        store.write_batch(name, [b"1", b"2"], bad_values, [2.0, 2.0])  # type: ignore[list-item]
    assert store.read(name, [b"1", b"2"]) == [value(1.0, b"old1"), value(1.0, b"old2")]
    store.close()


@pytest.mark.redis
def test_failed_redis_batch_leaves_previous_values(redis_url: str) -> None:
    store = RedisOnlineStore(redis_url)
    name = table()
    store.write_batch(name, [b"1"], [value(1.0, b"old1")], [1.0])
    # A stored value too short to hold an event time makes the script fail while comparing,
    # after key 1 was found newer: nothing may have been written.
    store.client.set(store._key(name) + b"2", b"x")
    with pytest.raises(BackendUnavailable, match="Redis online store failed"):
        store.write_batch(
            name, [b"1", b"2"], [value(2.0, b"new1"), value(2.0, b"new2")], [2.0, 2.0]
        )
    assert store.read(name, [b"1"]) == [value(1.0, b"old1")]
    store.close()


def test_unreachable_redis_is_backend_unavailable() -> None:
    store = RedisOnlineStore("redis://127.0.0.1:1/0")
    with pytest.raises(BackendUnavailable, match="check that Redis is running"):
        store.read("t", [b"1"])
    store.close()


def test_value_helper_starts_with_the_event_time() -> None:
    assert struct.unpack_from("<d", value(12.5, b"rest"))[0] == 12.5

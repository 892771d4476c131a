"""The :class:`~loopml.features.online.OnlineStore` contract.

Example (in a test module of a plug-in)::

    import pytest
    from loopml.testing.online_store import OnlineStoreContract

    class TestDynamoOnlineStore(OnlineStoreContract):
        @pytest.fixture
        def online_store(self):
            store = DynamoOnlineStore("dynamodb://...")
            yield store
            store.close()

The fixture must return an empty store (or one whose tables the tests do not reuse: every
test uses a fresh random table name).
"""

from __future__ import annotations

import struct
import threading
import uuid
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loopml.features.online import OnlineStore


def value(event_us: float, payload: bytes = b"") -> bytes:
    """Return a value as the feature store packs it: event time first, then anything."""
    return struct.pack("<d", event_us) + payload


def table() -> str:
    """Return a fresh table name."""
    return f"contract.{uuid.uuid4().hex[:12]}"


class OnlineStoreContract:
    """Behaviour every online store must have. Provide an ``online_store`` fixture."""

    def test_reads_none_for_missing_keys(self, online_store: OnlineStore) -> None:
        assert online_store.read(table(), [b"1"]) == [None]
        assert online_store.read(table(), [b"1", b"2"]) == [None, None]

    def test_round_trips_values_in_key_order(self, online_store: OnlineStore) -> None:
        name = table()
        keys = [b"%d" % i for i in range(10)]
        values = [value(float(i), b"v%d" % i) for i in range(10)]
        assert online_store.write_batch(name, keys, values, [float(i) for i in range(10)]) == 10
        wanted = [b"7", b"missing", b"0", b"7"]
        assert online_store.read(name, wanted) == [values[7], None, values[0], values[7]]
        assert online_store.read(name, [b"3"]) == [values[3]]

    def test_keeps_a_newer_stored_value(self, online_store: OnlineStore) -> None:
        name = table()
        online_store.write_batch(
            name, [b"a", b"b"], [value(10.0, b"a10"), value(10.0, b"b10")], [10.0, 10.0]
        )
        written = online_store.write_batch(
            name, [b"a", b"b"], [value(5.0, b"a5"), value(20.0, b"b20")], [5.0, 20.0]
        )
        assert written == 1
        assert online_store.read(name, [b"a", b"b"]) == [value(10.0, b"a10"), value(20.0, b"b20")]

    def test_an_equal_event_time_replaces_the_value(self, online_store: OnlineStore) -> None:
        name = table()
        online_store.write_batch(name, [b"a"], [value(10.0, b"first")], [10.0])
        assert online_store.write_batch(name, [b"a"], [value(10.0, b"second")], [10.0]) == 1
        assert online_store.read(name, [b"a"]) == [value(10.0, b"second")]

    def test_rewriting_the_same_batch_is_idempotent(self, online_store: OnlineStore) -> None:
        name = table()
        keys, values = [b"1", b"2"], [value(1.0, b"x"), value(2.0, b"y")]
        online_store.write_batch(name, keys, values, [1.0, 2.0])
        online_store.write_batch(name, keys, values, [1.0, 2.0])
        assert online_store.read(name, keys) == values

    def test_tables_are_separate_and_drop_clears_one(self, online_store: OnlineStore) -> None:
        first, second = table(), table()
        online_store.write_batch(first, [b"k"], [value(1.0, b"first")], [1.0])
        online_store.write_batch(second, [b"k"], [value(1.0, b"second")], [1.0])
        assert online_store.read(first, [b"k"]) == [value(1.0, b"first")]
        online_store.drop(first)
        assert online_store.read(first, [b"k"]) == [None]
        assert online_store.read(second, [b"k"]) == [value(1.0, b"second")]

    def test_keys_and_values_are_binary_safe(self, online_store: OnlineStore) -> None:
        name = table()
        keys = ["ünï cödé".encode(), b'["a",1]', b"with\x00nul"]
        values = [value(1.0, bytes(range(256))), value(2.0, b"\x00\xff"), value(3.0)]
        online_store.write_batch(name, keys, values, [1.0, 2.0, 3.0])
        assert online_store.read(name, keys) == values

    def test_large_batches_and_lookups(self, online_store: OnlineStore) -> None:
        name = table()
        n = 3000
        keys = [b"%d" % i for i in range(n)]
        values = [value(float(i), b"%d" % i) for i in range(n)]
        assert online_store.write_batch(name, keys, values, [float(i) for i in range(n)]) == n
        assert online_store.read(name, keys[::-1]) == values[::-1]

    def test_empty_batch_writes_nothing(self, online_store: OnlineStore) -> None:
        assert online_store.write_batch(table(), [], [], []) == 0

    def test_concurrent_readers(self, online_store: OnlineStore) -> None:
        name = table()
        keys = [b"%d" % i for i in range(50)]
        values = [value(float(i)) for i in range(50)]
        online_store.write_batch(name, keys, values, [float(i) for i in range(50)])
        errors: list[BaseException] = []

        def reader() -> None:
            try:
                for _ in range(50):
                    assert online_store.read(name, keys) == values
            except BaseException as err:  # collected and re-raised in the test thread
                errors.append(err)

        threads = [threading.Thread(target=reader) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert errors == []

"""Materialization, online lookups and the consistency check, on SQLite and Redis."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import loopml as lm
from loopml.errors import InvalidInput
from loopml.features import loading
from loopml.features.errors import MaterializationInProgress, SourceSchemaChanged
from loopml.features.materialize import Window, incremental_window, next_watermark
from loopml.store import leases
from tests.features.conftest import activity_view, ts

if TYPE_CHECKING:
    from pathlib import Path

JAN11 = dt.datetime(2024, 1, 11, tzinfo=dt.UTC)
REFS = ["activity:orders", "activity:spend", "activity:tier"]


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.redis)])
def ofs(request: pytest.FixtureRequest, sqlite_client: lm.Client) -> lm.FeatureStore:
    """A feature store on each online backend."""
    if request.param == "sqlite":
        yield sqlite_client.features
        return
    store = lm.FeatureStore(sqlite_client, online_store=request.getfixturevalue("redis_url"))
    yield store
    store.close()


def test_materialize_then_lookup(ofs: lm.FeatureStore, activity: Path) -> None:
    ofs.apply([activity_view(activity)])
    [result] = ofs.materialize()
    assert (result.view, result.mode, result.entities, result.written) == (
        "activity",
        "incremental",
        3,
        3,
    )
    online = ofs.get_online_features({"customer_id": [1, 2, 3, 9]}, REFS, now=JAN11)
    assert online == {
        "customer_id": [1, 2, 3, 9],
        "orders": [None, 4, None, None],  # 1 and 3 are older than the 3-day TTL on 01-11
        "spend": [None, 4.0, None, None],
        "tier": [None, None, None, None],  # customer 2's latest tier is null
    }
    fresh = ofs.get_online_features(
        {"customer_id": [1]}, ["activity:*"], now=dt.datetime(2024, 1, 6), with_event_times=True
    )
    assert fresh.to_rows() == [
        {
            "customer_id": 1,
            "orders": 2,
            "spend": 2.0,
            "tier": "b",
            "activity__event_timestamp": dt.datetime(2024, 1, 5, tzinfo=dt.UTC),
        }
    ]
    assert fresh.to_df().shape == (1, 5)


def test_incremental_reruns_are_idempotent(ofs: lm.FeatureStore, activity: Path) -> None:
    ofs.apply([activity_view(activity)])
    first = ofs.materialize()[0]
    second = ofs.materialize()[0]
    assert (second.start, second.entities, second.written) == (first.end, 0, 0)
    assert ofs.watermark("activity") == dt.datetime.fromtimestamp(second.end / 1e6, dt.UTC)
    ranged = ofs.materialize("2023-12-01", "2024-02-01")[0]
    assert (ranged.mode, ranged.entities) == ("range", 3)
    assert ofs.get_online_features({"customer_id": [2]}, ["activity:orders"], now=JAN11)[
        "orders"
    ] == [4]
    history = ofs.materializations("activity")
    assert [h.status for h in history] == ["FINISHED"] * 3


def test_ranges_pick_the_latest_row_inside_the_window_and_never_go_back(
    ofs: lm.FeatureStore, activity: Path
) -> None:
    ofs.apply([activity_view(activity, ttl=None)])
    ofs.materialize("2024-01-01", "2024-01-06")
    assert ofs.get_online_features({"customer_id": [1, 2]}, ["activity:orders"])["orders"] == [2, 3]
    ofs.materialize(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 12))
    assert ofs.get_online_features({"customer_id": [2]}, ["activity:orders"])["orders"] == [4]
    older = ofs.materialize("2024-01-01", "2024-01-03")[0]  # 2's value from 01-02 is older
    assert older.written == 0
    assert ofs.get_online_features({"customer_id": [2]}, ["activity:orders"])["orders"] == [4]
    with pytest.raises(InvalidInput, match="must be before end"):
        ofs.materialize("2024-02-01", "2024-01-01")


def test_late_backfills_reach_the_online_store_through_the_created_timestamp(
    ofs: lm.FeatureStore, tmp_path: Path
) -> None:
    path = tmp_path / "scores.parquet"
    rows = {
        "customer_id": [1, 2],
        "ts": ts("2024-01-01", "2024-01-01"),
        "written": ts("2024-01-01", "2024-01-01"),
        "score": [1.0, 1.0],
    }
    pd.DataFrame(rows).to_parquet(path)
    ofs.apply(
        [
            lm.FeatureView(
                "s",
                lm.Entity("customer_id"),
                str(path),
                "ts",
                ["score"],
                created_timestamp="written",
            )
        ]
    )
    ofs.materialize()
    # A late backfill: a newer event for 1 and an *older* event for 2, both written now.
    now = pd.Timestamp.now(tz="UTC")
    late = {
        "customer_id": [1, 2],
        "ts": ts("2024-01-05", "2023-12-01"),
        "written": [now, now],
        "score": [5.0, 0.5],
    }
    pd.concat([pd.DataFrame(rows), pd.DataFrame(late)]).to_parquet(path)
    result = ofs.materialize()[0]
    assert (result.entities, result.written) == (2, 1)
    assert ofs.get_online_features({"customer_id": [1, 2]}, ["s:score"])["score"] == [5.0, 1.0]


def test_a_failed_materialization_changes_nothing(ofs: lm.FeatureStore, activity: Path) -> None:
    ofs.apply([activity_view(activity, ttl=None)])
    ofs.materialize()
    before = ofs.get_online_features({"customer_id": [1, 2, 3]}, REFS)
    watermark = ofs.watermark("activity")
    frame = pd.read_parquet(activity)
    frame.assign(orders=frame["orders"].astype(str)).to_parquet(activity)
    with pytest.raises(SourceSchemaChanged):
        ofs.materialize("2020-01-01", "2030-01-01")
    assert ofs.get_online_features({"customer_id": [1, 2, 3]}, REFS) == before
    assert ofs.watermark("activity") == watermark
    failed = ofs.materializations("activity")[0]
    assert failed.status == "FAILED"
    assert "SourceSchemaChanged" in failed.error


def test_one_materialization_at_a_time(sfs: lm.FeatureStore, activity: Path) -> None:
    sfs.apply([activity_view(activity)])
    assert leases.acquire(sfs.store.db, "features.materialize.activity", "someone-else", 60)
    with pytest.raises(MaterializationInProgress, match="someone-else"):
        sfs.materialize()


def test_lookup_errors(sfs: lm.FeatureStore, activity: Path) -> None:
    sfs.apply([activity_view(activity)])
    with pytest.raises(InvalidInput, match=r"entity column 'customer_id' is missing .*\['cid'\]"):
        sfs.get_online_features({"cid": [1]}, REFS)
    with pytest.raises(InvalidInput, match=r"value 'x' .* is not a valid integer key"):
        sfs.get_online_features({"customer_id": ["x"]}, REFS)
    with pytest.raises(InvalidInput, match="must be a mapping of entity column to values"):
        sfs.get_online_features([1], REFS)  # type: ignore[arg-type]
    assert sfs.get_online_features({"customer_id": []}, REFS)["orders"] == []
    with pytest.raises(InvalidInput, match="entity row 1 has no 'customer_id'"):
        sfs.get_online_features([{"customer_id": 1}, {"cid": 2}], REFS)


def test_entity_rows_and_key_conversion(sfs: lm.FeatureStore, activity: Path) -> None:
    sfs.apply([activity_view(activity, ttl=None)])
    sfs.materialize()
    rows = sfs.get_online_features([{"customer_id": "2"}, {"customer_id": 1}], ["activity:orders"])
    assert rows == {"customer_id": [2, 1], "orders": [4, 2]}


def test_new_definitions_are_picked_up_by_a_running_store(
    sqlite_client: lm.Client, activity: Path
) -> None:
    reader = lm.FeatureStore(sqlite_client, refresh_s=0)
    writer = sqlite_client.features
    writer.apply([activity_view(activity)])
    writer.materialize()
    assert reader.get_online_features({"customer_id": [2]}, ["activity:orders"], now=JAN11)[
        "orders"
    ] == [4]
    writer.apply([activity_view(activity, ttl="1s")])  # same storage, shorter TTL
    assert reader.get_online_features({"customer_id": [2]}, ["activity:orders"], now=JAN11)[
        "orders"
    ] == [None]


def test_check_finds_online_values_that_differ(ofs: lm.FeatureStore, activity: Path) -> None:
    ofs.apply([activity_view(activity)])
    with pytest.raises(InvalidInput, match="was never materialized"):
        ofs.check("activity")
    ofs.materialize()
    report = ofs.check("activity", sample=10)
    assert (report.sampled, report.matching, report.ok) == (3, 3, True)
    assert report.expired == 3  # January 2024 values are far past the 3-day TTL today
    view = ofs.get_view("activity")
    codec = ofs._codec(view)
    ofs.online.write_batch(
        view.namespace, [b"2"], [codec.encode_row(9e15, [40, 4.0, None])], [9e15]
    )
    report = ofs.check("activity")
    assert (report.mismatched, report.ok) == (1, False)
    assert {m["feature"] for m in report.mismatches} == {"<event time µs>", "orders"}


def test_watermark_rules() -> None:
    assert incremental_window(None, 10, True) == Window(None, 10, on_created=True)
    assert next_watermark(None, Window(None, 10), "incremental", False) == 10
    assert next_watermark(5, Window(0, 20), "range", False) == 20  # covers up to the watermark
    assert next_watermark(5, Window(7, 20), "range", False) == 5  # a gap: keep it
    assert next_watermark(5, Window(0, 20), "range", True) == 5  # write-time views: never


def test_push_writes_fresh_values_online_only(ofs: lm.FeatureStore, activity: Path) -> None:
    ofs.apply([activity_view(activity, ttl=None)])
    ofs.materialize()
    fresh = pd.DataFrame(
        {
            "customer_id": [1, 1, 2, 7],
            "ts": ts("2024-02-01", "2024-02-02", "2023-01-01", "2024-02-01"),  # 2's row is older
            "orders": [10, 11, 99, 70],
            "spend": [1.0, 1.5, 9.9, 7.0],
            "tier": ["x", "y", "z", None],
        }
    )
    assert ofs.push("activity", fresh) == 2
    assert ofs.get_online_features({"customer_id": [1, 2, 7]}, REFS) == {
        "customer_id": [1, 2, 7],
        "orders": [11, 4, 70],
        "spend": [1.5, 4.0, 7.0],
        "tier": ["y", None, None],
    }
    with pytest.raises(SourceSchemaChanged, match=r"column 'tier' .* is gone"):
        ofs.push("activity", fresh.drop(columns=["tier"]))


def test_a_flushed_online_store_is_materialized_again_in_full(
    ofs: lm.FeatureStore, activity: Path
) -> None:
    view = activity_view(activity)
    ofs.apply([view])
    ofs.materialize()
    namespace = ofs._current()["activity"].namespace
    ofs.online.drop(namespace)  # FLUSHALL, a lost SQLite file, a new Redis
    again = ofs.materialize()[0]
    assert (again.start, again.entities) == (None, 3)
    assert ofs.get_online_features({"customer_id": [2]}, ["activity:orders"], now=JAN11)[
        "orders"
    ] == [4]
    assert ofs.materialize()[0].entities == 0  # the marker is back: incremental again


def test_the_lease_is_renewed_while_work_goes_on(
    sfs: lm.FeatureStore, activity: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sfs.apply([activity_view(activity)])
    monkeypatch.setattr(loading, "LEASE_S", 0.6)
    real_load = loading.load
    started = threading.Event()

    def slow_load(*args, **kwargs):
        started.set()
        time.sleep(2.0)  # more than three lease lifetimes
        return real_load(*args, **kwargs)

    monkeypatch.setattr(loading, "load", slow_load)
    worker = threading.Thread(target=sfs.materialize)
    worker.start()
    assert started.wait(10)
    time.sleep(1.2)
    with pytest.raises(MaterializationInProgress, match="--force"):
        sfs.materialize()
    worker.join()
    assert leases.holder_of(sfs.store.db, "features.materialize.activity") is None


def test_force_takes_the_lease_of_a_dead_process(sfs: lm.FeatureStore, activity: Path) -> None:
    sfs.apply([activity_view(activity)])
    assert leases.acquire(sfs.store.db, "features.materialize.activity", "dead-process", 3600)
    with pytest.raises(MaterializationInProgress):
        sfs.materialize()
    assert sfs.materialize(force=True)[0].entities == 3


KILLED_HOLDER = """
import sys, time
from loopml.store import Database, leases
db = Database(sys.argv[1])
with leases.KeptLease(db, "features.materialize.activity", "killed", float(sys.argv[2])):
    print("holding", flush=True)
    time.sleep(600)
"""


def test_a_killed_holders_lease_lapses(sfs: lm.FeatureStore, activity: Path) -> None:
    sfs.apply([activity_view(activity)])
    holder = subprocess.Popen(
        [sys.executable, "-c", KILLED_HOLDER, sfs.store.db.url, "1.5"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "holding"
        time.sleep(2.0)  # renewed past its first lifetime
        with pytest.raises(MaterializationInProgress, match="killed"):
            sfs.materialize()
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        time.sleep(1.6)
        assert sfs.materialize()[0].entities == 3
    finally:
        holder.kill()
        holder.wait()
        holder.stdout.close()

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING

import pandas as pd
import pyarrow as pa
import pytest

from loopml.errors import InvalidInput
from loopml.store.blob_backends import open_backend
from loopml.store.events import TIME_TYPE, EventLog

if TYPE_CHECKING:
    from pathlib import Path

DAY1 = dt.datetime(2026, 11, 20, 23, 59, tzinfo=dt.UTC)
DAY2 = dt.datetime(2026, 11, 21, 0, 1, tzinfo=dt.UTC)


@pytest.fixture(params=["local", "memory"])
def log(request: pytest.FixtureRequest, tmp_path: Path) -> EventLog:
    url = str(tmp_path / "art") if request.param == "local" else f"memory://ev-{uuid.uuid4().hex}"
    return EventLog(open_backend(url))


def test_rows_are_partitioned_by_utc_day(log: EventLog) -> None:
    keys = log.append(
        "predictions/churn",
        [{"time": DAY1, "id": "a", "score": 0.1}, {"time": DAY2, "id": "b", "score": 0.9}],
    )
    assert len(keys) == 2
    assert "date=2026-11-20" in keys[0]
    assert "date=2026-11-21" in keys[1]
    table = log.read("predictions/churn")
    assert table.num_rows == 2
    assert table.schema.field("time").type == TIME_TYPE


def test_days_are_split_in_order_and_times_before_1970_keep_their_own_day(log: EventLog) -> None:
    times = [DAY2, DAY1, dt.datetime(1969, 12, 31, 23, 59, 59, tzinfo=dt.UTC), DAY2]
    keys = log.append("s", [{"time": t, "n": i} for i, t in enumerate(times)])
    assert [key.split("date=")[1][:10] for key in keys] == [
        "1969-12-31",
        "2026-11-20",
        "2026-11-21",
    ]
    assert sorted(log.read("s")["n"].to_pylist()) == [0, 1, 2, 3]


def test_event_files_dictionary_encode_only_text_and_keep_time_statistics(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    log = EventLog(open_backend(str(tmp_path / "art")))
    rows = [{"time": DAY1, "model": "churn", "x": {"a": i / 7}, "score": i / 3} for i in range(50)]
    (key,) = log.append("s", rows)
    meta = pq.ParquetFile(tmp_path / "art" / key).metadata.row_group(0)
    columns = {meta.column(i).path_in_schema: meta.column(i) for i in range(meta.num_columns)}
    assert "RLE_DICTIONARY" in columns["model"].encodings
    assert "RLE_DICTIONARY" not in columns["score"].encodings
    assert "RLE_DICTIONARY" not in columns["x.a"].encodings
    assert columns["time"].statistics.has_min_max
    assert columns["x.a"].statistics is None


def test_time_window_and_partition_pruning(log: EventLog) -> None:
    log.append("s", pd.DataFrame({"time": [DAY1, DAY2], "v": [1, 2]}))
    assert log.read("s", since=DAY2).column("v").to_pylist() == [2]
    assert log.read("s", until=DAY2).column("v").to_pylist() == [1]
    assert len(log.keys("s", since=DAY2)) == 1


def test_epoch_milliseconds_and_naive_datetimes_are_utc(log: EventLog) -> None:
    ms = int(DAY1.timestamp() * 1000)
    log.append("s", [{"time": ms, "v": 1}])
    log.append("s", [{"time": DAY1.replace(tzinfo=None), "v": 2}])
    frame = log.frame("s")
    assert frame["time"].nunique() == 1
    assert sorted(frame["v"]) == [1, 2]


def test_files_with_different_columns_are_unified(log: EventLog) -> None:
    log.append("s", [{"time": DAY1, "a": 1}])
    log.append("s", [{"time": DAY1, "a": 2, "b": "x"}])
    frame = log.frame("s").sort_values("a")
    assert frame["b"].tolist()[1] == "x"
    assert pd.isna(frame["b"].tolist()[0])


def test_duckdb_query_over_streams(log: EventLog) -> None:
    log.append(
        "p", [{"time": DAY1, "id": "a", "score": 0.2}, {"time": DAY2, "id": "b", "score": 0.8}]
    )
    log.append("f", [{"time": DAY2, "id": "b", "label": 1}])
    result = log.query(
        "select p.id, score, label from p left join f using (id) order by p.id",
        {"p": "p", "f": ("f", None, None)},
    )
    assert result["id"].tolist() == ["a", "b"]
    assert pd.isna(result["label"].iloc[0])
    assert result["label"].iloc[1] == 1


def test_compaction_keeps_every_row_once(log: EventLog) -> None:
    for index in range(5):
        log.append("s", [{"time": DAY1, "v": index}])
    before = sorted(log.read("s").column("v").to_pylist())
    output = log.compact("s", DAY1.date())
    assert output is not None
    assert len(log.keys("s")) == 1
    assert sorted(log.read("s").column("v").to_pylist()) == before


def test_half_done_compaction_is_invisible(log: EventLog) -> None:
    for index in range(3):
        log.append("s", [{"time": DAY1, "v": index}])
    keys = log.keys("s")
    folder = keys[0].rsplit("/", 1)[0]
    # A compaction that wrote its manifest and output but has not deleted the old files yet.
    import json

    table = log.read("s")
    from loopml.store.events import _parquet_bytes

    log.backend.put_bytes(
        f"{folder}/compact-1-x.compact.json",
        json.dumps({"output": f"{folder}/compact-1-x.parquet", "replaces": keys}).encode(),
    )
    log.backend.put_bytes(f"{folder}/compact-1-x.parquet", _parquet_bytes(table))
    assert sorted(log.read("s").column("v").to_pylist()) == [0, 1, 2]


def test_bad_input_is_rejected(log: EventLog) -> None:
    with pytest.raises(InvalidInput, match="stream name"):
        log.append("bad name", [{"time": DAY1}])
    with pytest.raises(InvalidInput, match="'time' column"):
        log.append("s", [{"when": DAY1}])
    with pytest.raises(InvalidInput, match="type"):
        log.append("s", [{"time": "yesterday"}])
    with pytest.raises(InvalidInput, match="list of dicts"):
        log.append("s", 42)
    assert log.append("s", pa.table({"time": pa.array([], type=TIME_TYPE)})) == []


def test_empty_stream_reads_as_empty_table(log: EventLog) -> None:
    assert log.read("nothing").num_rows == 0


def test_a_window_reads_only_the_row_groups_that_may_hold_it(tmp_path: Path) -> None:
    from loopml.store.events import ROW_GROUP_ROWS

    log = EventLog(open_backend(str(tmp_path / "art")))
    start = 1_763_942_400_000  # midnight UTC; one row per second, all on one day
    rows = 3 * ROW_GROUP_ROWS
    times = pa.array(range(start, start + rows * 1000, 1000))
    (key,) = log.append("clicks", pa.table({"time": times, "n": pa.array(range(rows))}))
    since = dt.datetime.fromtimestamp((start + 10_000 * 1000) / 1000, dt.UTC)
    until = since + dt.timedelta(seconds=100)
    decoded = log._read_file(key, None, ("time", since, until))
    assert decoded.num_rows == ROW_GROUP_ROWS  # the first row group only
    window = log.read("clicks", since, until)
    assert window["n"].to_pylist() == list(range(10_000, 10_100))
    assert log.read("clicks").num_rows == rows

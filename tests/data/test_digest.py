"""The content digest: invariant under layout and encoding, sensitive to any content change."""

from __future__ import annotations

import datetime as dt
import io
import itertools
import math

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from loopml.data import content_digest
from loopml.data.digest import column_type, logical_type
from loopml.errors import InvalidInput

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

ints = st.one_of(st.none(), st.integers(-(2**63), 2**63 - 1))
floats = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True))
texts = st.one_of(st.none(), st.text(max_size=8))
bools = st.one_of(st.none(), st.booleans())
stamps = st.one_of(
    st.none(),
    st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 1, 1)).map(
        lambda d: d.replace(tzinfo=dt.UTC)
    ),
)
lists = st.one_of(st.none(), st.lists(st.one_of(st.none(), st.integers(-5, 5)), max_size=3))

COLUMN_KINDS = {
    "int": (ints, pa.int64()),
    "float": (floats, pa.float64()),
    "text": (texts, pa.string()),
    "bool": (bools, pa.bool_()),
    "stamp": (stamps, pa.timestamp("us", "UTC")),
    "list": (lists, pa.list_(pa.int64())),
}


@st.composite
def tables(draw: st.DrawFn, min_rows: int = 0) -> pa.Table:
    rows = draw(st.integers(min_rows, 30))
    kinds = draw(st.lists(st.sampled_from(sorted(COLUMN_KINDS)), min_size=1, max_size=4))
    columns = {}
    for i, kind in enumerate(kinds):
        values_strategy, arrow_type = COLUMN_KINDS[kind]
        values = draw(st.lists(values_strategy, min_size=rows, max_size=rows))
        columns[f"{kind}_{i}"] = pa.array(values, type=arrow_type)
    return pa.table(columns)


@st.composite
def split_points(draw: st.DrawFn, rows: int) -> list[int]:
    cuts = draw(st.lists(st.integers(0, rows), max_size=5))
    return sorted(set(cuts))


def rechunk(table: pa.Table, cuts: list[int]) -> pa.Table:
    bounds = [0, *cuts, table.num_rows]
    pieces = [table.slice(a, b - a) for a, b in itertools.pairwise(bounds) if b > a]
    if not pieces:
        return table
    return pa.concat_tables(pieces)


def parquet_roundtrip(table: pa.Table, row_group_size: int) -> pa.Table:
    buffer = io.BytesIO()
    pq.write_table(table, buffer, row_group_size=row_group_size)
    buffer.seek(0)
    return pq.read_table(buffer)


@SETTINGS
@given(data=st.data())
def test_digest_ignores_chunking(data: st.DataObject) -> None:
    table = data.draw(tables())
    cuts = data.draw(split_points(table.num_rows))
    rechunked = rechunk(table, cuts)
    assert content_digest(rechunked) == content_digest(table)


@SETTINGS
@given(table=tables(min_rows=1), row_group_size=st.integers(1, 40))
def test_digest_ignores_parquet_row_groups(table: pa.Table, row_group_size: int) -> None:
    assert content_digest(parquet_roundtrip(table, row_group_size)) == content_digest(table)


def _different(old: object, new: object) -> bool:
    if isinstance(old, float) and isinstance(new, float):
        if math.isnan(old) and math.isnan(new):
            return False
        return old != new or math.copysign(1, old) != math.copysign(1, new)
    return old != new or type(old) is not type(new)


@SETTINGS
@given(data=st.data())
def test_changing_one_value_changes_the_digest(data: st.DataObject) -> None:
    table = data.draw(tables(min_rows=1))
    column_index = data.draw(st.integers(0, table.num_columns - 1))
    name = table.column_names[column_index]
    values = table.column(name).to_pylist()
    row = data.draw(st.integers(0, table.num_rows - 1))
    strategy, arrow_type = COLUMN_KINDS[name.split("_")[0]]
    new_value = data.draw(strategy)
    assume(_different(values[row], new_value))
    values[row] = new_value
    changed = table.set_column(column_index, name, pa.array(values, type=arrow_type))
    before, after = content_digest(table), content_digest(changed)
    assert before.digest != after.digest
    assert before.columns[name] != after.columns[name]
    others = [n for n in table.column_names if n != name]
    assert all(before.columns[n] == after.columns[n] for n in others)


@SETTINGS
@given(table=tables(min_rows=1))
def test_structure_changes_change_the_digest(table: pa.Table) -> None:
    digest = content_digest(table).digest
    renamed = table.rename_columns([f"{n}_x" for n in table.column_names])
    assert content_digest(renamed).digest != digest
    assert content_digest(table.slice(0, table.num_rows - 1)).digest != digest
    doubled = pa.concat_tables([table, table])
    assert content_digest(doubled).digest != digest
    if table.num_columns > 1:
        swapped = table.select(list(reversed(table.column_names)))
        assert content_digest(swapped).digest != digest


def test_row_order_is_content() -> None:
    table = pa.table({"x": [1, 2, 3]})
    assert content_digest(table).digest != content_digest(table.take([2, 1, 0])).digest


def test_null_differs_from_zero_and_empty_string() -> None:
    assert (
        content_digest(pa.table({"x": [0, 1]})).digest
        != content_digest(pa.table({"x": [None, 1]})).digest
    )
    assert (
        content_digest(pa.table({"s": ["", "a"]})).digest
        != content_digest(pa.table({"s": [None, "a"]})).digest
    )


def test_value_boundaries_inside_strings_matter() -> None:
    assert (
        content_digest(pa.table({"s": ["ab", "c"]})).digest
        != content_digest(pa.table({"s": ["a", "bc"]})).digest
    )


def test_type_is_content() -> None:
    as_int = pa.table({"x": pa.array([1, 2], pa.int64())})
    as_int32 = pa.table({"x": pa.array([1, 2], pa.int32())})
    as_float = pa.table({"x": pa.array([1.0, 2.0])})
    digests = {content_digest(t).digest for t in (as_int, as_int32, as_float)}
    assert len(digests) == 3


def test_storage_encodings_do_not_matter() -> None:
    words = ["a", None, "bb", "a"]
    plain = pa.table({"w": pa.array(words, pa.string())})
    large = pa.table({"w": pa.array(words, pa.large_string())})
    dictionary = pa.table({"w": pa.array(words, pa.string()).dictionary_encode()})
    wide_index = pa.table(
        {"w": pa.array(words).dictionary_encode().cast(pa.dictionary(pa.int64(), pa.string()))}
    )
    assert len({content_digest(t).digest for t in (plain, large, dictionary, wide_index)}) == 1


def test_timestamp_units_do_not_matter_when_values_fit() -> None:
    stamps = pd.to_datetime(["2024-01-01 10:00:00.123456", None]).as_unit("us")
    micro = pa.table({"t": pa.array(stamps)})
    nano = pa.table({"t": pa.array(stamps.as_unit("ns"))})
    assert micro.column("t").type != nano.column("t").type
    assert content_digest(micro) == content_digest(nano)
    assert column_type(micro.column("t")) == "timestamp"


def test_timestamps_outside_the_nanosecond_range_keep_their_unit() -> None:
    far = pa.table({"t": pa.array([dt.datetime(3000, 1, 1)], pa.timestamp("us"))})
    assert column_type(far.column("t")) == "timestamp[us]"
    assert len(content_digest(far).digest) == 64


def test_nan_payloads_are_one_nan_but_negative_zero_is_not_zero() -> None:
    odd_nan = np.frombuffer(np.uint64(0x7FF8000000000001).tobytes(), dtype=np.float64)
    one = pa.table({"f": pa.array(np.array([np.nan, 1.0]))})
    other = pa.table({"f": pa.array(np.concatenate([odd_nan, [1.0]]))})
    assert content_digest(one) == content_digest(other)
    assert (
        content_digest(pa.table({"f": [0.0]})).digest
        != content_digest(pa.table({"f": [-0.0]})).digest
    )


def test_pandas_frames_and_their_parquet_copies_agree(tmp_path) -> None:
    frame = pd.DataFrame(
        {
            "id": np.arange(1000),
            "score": np.linspace(0, 1, 1000),
            "city": pd.Categorical(np.where(np.arange(1000) % 3 == 0, "berlin", "paris")),
            "when": pd.date_range("2024-01-01", periods=1000, freq="h"),
        }
    )
    path = tmp_path / "x.parquet"
    frame.to_parquet(path, row_group_size=97)
    from_pandas = pa.Table.from_pandas(frame, preserve_index=False)
    assert content_digest(pq.read_table(path)).digest == content_digest(from_pandas).digest


def test_nested_types_are_hashed() -> None:
    structs = pa.array([{"a": 1, "b": "x"}, None, {"a": 3, "b": None}])
    maps = pa.array([[("k", 1)], None, []], pa.map_(pa.string(), pa.int64()))
    decimals = pa.array([1, None, 3], pa.decimal128(10, 2))
    table = pa.table({"s": structs, "m": maps, "d": decimals})
    assert content_digest(rechunk(table, [1, 2])) == content_digest(table)
    assert content_digest(parquet_roundtrip(table, 1)) == content_digest(table)
    changed = table.set_column(0, "s", pa.array([{"a": 1, "b": "x"}, None, {"a": 4, "b": None}]))
    assert content_digest(changed).digest != content_digest(table).digest


def test_duplicate_column_names_are_refused() -> None:
    table = pa.Table.from_arrays([pa.array([1]), pa.array([2])], names=["x", "x"])
    with pytest.raises(InvalidInput, match="'x'"):
        content_digest(table)


def test_logical_types() -> None:
    assert logical_type(pa.dictionary(pa.int8(), pa.large_string())) == "string"
    assert logical_type(pa.large_list(pa.string())) == "list<string>"
    assert logical_type(pa.timestamp("ns", "UTC")) == "timestamp[UTC]"
    assert logical_type(pa.struct([("a", pa.large_binary())])) == "struct<a: binary>"

from __future__ import annotations

import datetime as dt
import math

import numpy as np
from hypothesis import given, settings, strategies as st

from loopml.features import keys, packing
from loopml.features.codec import Codec

TYPES = ["float64", "float32", "int64", "int32", "bool", "string", "timestamp"]


def strategy(kind: str) -> st.SearchStrategy:
    base = {
        "float64": st.floats(allow_nan=True, allow_infinity=True),
        "float32": st.floats(width=32, allow_nan=False),
        "int64": st.integers(-(2**63), 2**63 - 1),
        "int32": st.integers(-(2**31), 2**31 - 1),
        "bool": st.booleans(),
        "string": st.text(),
        "timestamp": st.integers(-(2**40), 2**52),
    }[kind]
    return st.none() | base


@st.composite
def rows(draw):
    types = draw(st.lists(st.sampled_from(TYPES), min_size=1, max_size=12))
    values = [draw(strategy(t)) for t in types]
    event = float(draw(st.integers(0, 2**52)))
    return types, values, event


def as_columns(types, values, event):
    dtypes = {
        "float64": "<f8",
        "float32": "<f4",
        "int64": "<i8",
        "int32": "<i4",
        "bool": "?",
        "timestamp": "<i8",
    }
    columns, nulls, strings = [], [], []
    for kind, value in zip(types, values, strict=True):
        nulls.append(np.array([value is None]))
        strings.append([value] if kind == "string" else None)
        fill = 0 if value is None or kind == "string" else value
        columns.append(np.zeros(1) if kind == "string" else np.array([fill], dtype=dtypes[kind]))
    return np.array([event]), columns, nulls, strings


def same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a):
        return math.isnan(b)
    return a == b


@settings(max_examples=300, deadline=None)
@given(rows())
def test_values_round_trip(row) -> None:
    types, values, event = row
    codec = Codec(types, aware=[i for i, t in enumerate(types) if t == "timestamp"][:1])
    blob = codec.encode_row(event, values)
    assert packing.encode_batch(codec, *as_columns(types, values, event)) == [blob]
    got_event, got = codec.decode(blob)
    assert got_event == event
    for kind, i, want, have in zip(types, range(len(types)), values, got, strict=True):
        if want is not None and kind == "timestamp":
            tz = dt.UTC if i in codec.aware else None
            want = dt.datetime(1970, 1, 1, tzinfo=tz) + dt.timedelta(microseconds=want)
        assert same(want, have), (kind, want, have)


def test_batches_equal_rows_and_start_with_the_event_time() -> None:
    codec = Codec(["float64", "int64", "string"])
    events = np.array([1.0, 2.0])
    batch = packing.encode_batch(
        codec,
        events,
        [np.array([0.5, 0.0]), np.array([7, 0]), np.zeros(0)],
        [None, np.array([False, True]), None],
        [None, None, ["x", None]],
    )
    assert batch == [codec.encode_row(1.0, [0.5, 7, "x"]), codec.encode_row(2.0, [0.0, None, None])]
    assert codec.decode(batch[1]) == (2.0, [0.0, None, None])
    assert np.frombuffer(batch[0][:8], "<f8")[0] == 1.0


def test_many_features_use_a_multi_byte_null_bitmap() -> None:
    codec = Codec(["int32"] * 20)
    values = [None if i % 3 == 0 else i for i in range(20)]
    assert codec.decode(codec.encode_row(5.0, values))[1] == values


def test_keys_encode_the_same_for_lookups_and_writes() -> None:
    assert keys.encode_column([5, 12]) == [b"5", b"12"]
    assert keys.encode_one([keys.coerce("5", "int64", "k")]) == b"5"
    assert keys.encode_columns([[1], ["a"]]) == [keys.encode_one([1, "a"])] == [b'[1,"a"]']
    assert keys.coerce(7, "string", "k") == "7"

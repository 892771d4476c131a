from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from loopml.serving.errors import RequestInvalid
from loopml.serving.validation import Validator, kind_of

NUMERIC = Validator(("age", "income", "score"), ("int64", "float64", "float32"))
MIXED = Validator(("city", "age", "member"), ("string", "int64", "bool"))


def test_kinds():
    assert [kind_of(d) for d in ("float64", "float32", "int32", "bool", "string", "object")] == [
        "f", "f", "i", "b", "s", "s"
    ]  # fmt: skip


def test_rows_fast_path_gives_contiguous_float64():
    x = NUMERIC.rows([[41, 52000.5, 0.3], [30, 1.0, 2]])
    assert x.dtype == np.float64
    assert x.flags.c_contiguous
    assert x.tolist() == [[41.0, 52000.5, 0.3], [30.0, 1.0, 2.0]]


def test_records_in_any_key_order_and_split_reordered():
    records = [{"score": 1.5, "income": 2.0, "age": 3}]
    assert NUMERIC.records(records).tolist() == [[3.0, 2.0, 1.5]]
    split = NUMERIC.split(["score", "age", "income"], [[1.5, 3, 2.0]])
    assert split.tolist() == [[3.0, 2.0, 1.5]]


def test_column_arrays():
    x = NUMERIC.column_arrays({"age": [1, 2], "income": [3.0, 4.0], "score": [5, 6]})
    assert x.tolist() == [[1, 3, 5], [2, 4, 6]]


@pytest.mark.parametrize(
    ("call", "field", "words"),
    [
        (lambda: NUMERIC.records([{"age": 1, "income": 2.0}]), "score", "lacks column 'score'"),
        (
            lambda: NUMERIC.records([{"age": 1, "income": 2.0, "score": 1, "zip": 3}]),
            "zip",
            "unexpected column 'zip'",
        ),
        (lambda: NUMERIC.rows([[1, "x", 2.0]]), "income", "expects float64, got 'x'"),
        (lambda: NUMERIC.rows([[1.5, 2.0, 2.0]]), "age", "expects int64, got 1.5"),
        (lambda: NUMERIC.rows([[1, 2.0]]), "instances[0]", "has 2 values"),
        (lambda: NUMERIC.rows([[1, 2.0, 3], [1, 2.0]]), "instances[1]", "has 2 values"),
        (lambda: NUMERIC.rows([[None, 2.0, 3.0]]), "age", "null in row 0"),
        (lambda: NUMERIC.rows([]), "instances", "non-empty list"),
        (lambda: NUMERIC.split(["age", "income"], [[1, 2]]), "score", "lacks column 'score'"),
        (lambda: MIXED.rows([["Oslo", 3, "yes"]]), "member", "expects bool"),
        (lambda: MIXED.rows([[7, 3, True]]), "city", "expects string"),
    ],
)
def test_errors_name_the_field(call, field, words):
    with pytest.raises(RequestInvalid, match=words) as info:
        call()
    assert info.value.field == field
    assert info.value.http_status == 422


def test_null_in_float_column_becomes_nan():
    x = NUMERIC.rows([[1, None, 2.0]])
    assert math.isnan(x[0, 1])


def test_mixed_signature_builds_object_array():
    x = MIXED.records([{"city": "Oslo", "age": 30, "member": True}])
    assert x.dtype == object
    assert x.tolist() == [["Oslo", 30, True]]


def test_matrix_checks_width_and_kind():
    assert NUMERIC.matrix(np.ones((2, 3), dtype=np.float32), "t").dtype == np.float64
    with pytest.raises(RequestInvalid, match="has 2 columns"):
        NUMERIC.matrix(np.ones((2, 2)), "t")


def test_no_signature_accepts_any_numeric_matrix():
    v = Validator(None)
    assert v.rows([[1, 2], [3, 4]]).shape == (2, 2)


finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@given(st.lists(st.tuples(st.integers(-(2**40), 2**40), finite, finite), min_size=1, max_size=30))
def test_rows_records_and_split_agree(rows):
    as_rows = NUMERIC.rows([list(r) for r in rows])
    records = NUMERIC.records([{"score": s, "age": a, "income": i} for a, i, s in rows])
    split = NUMERIC.split(["income", "score", "age"], [[i, s, a] for a, i, s in rows])
    expected = np.array(rows, dtype=np.float64)
    for got in (as_rows, records, split):
        np.testing.assert_array_equal(got, expected)


@given(
    st.lists(
        st.one_of(finite, st.text(max_size=3), st.none(), st.booleans()), min_size=3, max_size=3
    )
)
def test_any_row_is_accepted_or_rejected_with_a_field(row):
    outcome: object
    try:
        outcome = NUMERIC.rows([row]).shape
    except RequestInvalid as err:
        outcome = err.field
    assert outcome == (1, 3) or outcome in NUMERIC.columns

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, strategies as st

from loopml.models import ColumnSpec, Signature, SignatureMismatch, infer_signature
from loopml.models.signatures import DTYPES

SIG = Signature(
    (
        ColumnSpec("age", "int64"),
        ColumnSpec("income", "float64"),
        ColumnSpec("city", "string"),
        ColumnSpec("active", "bool"),
    ),
    (ColumnSpec("prediction", "int64"),),
)


def test_infer_from_frame_maps_types_and_outputs() -> None:
    df = pd.DataFrame(
        {
            "a": np.array([1, 2], dtype="int64"),
            "b": np.array([1.5, 2.5], dtype="float32"),
            "c": ["x", "y"],
            "d": [True, False],
            "e": np.array([1, 2], dtype="int8"),
        }
    )
    sig = infer_signature(df, np.array([0.1, 0.2]))
    assert [(c.name, c.dtype) for c in sig.inputs] == [
        ("a", "int64"),
        ("b", "float32"),
        ("c", "string"),
        ("d", "bool"),
        ("e", "int32"),
    ]
    assert sig.outputs == (ColumnSpec("prediction", "float64"),)


def test_infer_from_array_records_and_columns() -> None:
    assert infer_signature(np.zeros((3, 2))).input_names == ["f0", "f1"]
    named = infer_signature(np.zeros((3, 2)), feature_names=["x", "y"])
    assert named.input_names == ["x", "y"]
    records = infer_signature([{"x": 1, "y": "a"}, {"x": 2, "y": "b"}])
    assert [c.dtype for c in records.inputs] == ["int64", "string"]
    columns = infer_signature({"x": [1.0, 2.0], "flag": [True, False]})
    assert [c.dtype for c in columns.inputs] == ["float64", "bool"]


def test_infer_outputs_of_probabilities_and_frames() -> None:
    sig = infer_signature(np.zeros((2, 1)), np.zeros((2, 2)))
    assert [c.name for c in sig.outputs] == ["prediction_0", "prediction_1"]
    out = infer_signature(np.zeros((2, 1)), pd.DataFrame({"label": ["a", "b"]}))
    assert out.outputs == (ColumnSpec("label", "string"),)


def test_unsupported_column_type_names_the_column() -> None:
    df = pd.DataFrame({"when": pd.to_datetime(["2024-01-01"])})
    with pytest.raises(SignatureMismatch, match="'when'") as err:
        infer_signature(df)
    assert err.value.field == "when"


def test_mixed_object_column_names_the_column() -> None:
    with pytest.raises(SignatureMismatch, match="'x' mixes"):
        infer_signature(pd.DataFrame({"x": [1, "a"]}, dtype=object))


def test_unknown_dtype_is_rejected() -> None:
    with pytest.raises(SignatureMismatch, match="unknown type 'decimal'"):
        ColumnSpec("x", "decimal")


def test_validate_frame_orders_casts_and_drops_extras() -> None:
    df = pd.DataFrame(
        {
            "extra": [0, 0],
            "active": [True, False],
            "city": ["a", "b"],
            "income": [1, 2],
            "age": [3.0, 4.0],
        }
    )
    out = SIG.validate_frame(df)
    assert list(out.columns) == SIG.input_names
    assert out["age"].dtype == np.int64
    assert out["income"].dtype == np.float64


def test_validate_frame_strict_rejects_unknown_columns() -> None:
    df = pd.DataFrame({"age": [1], "income": [1.0], "city": ["a"], "active": [True], "oops": [1]})
    with pytest.raises(SignatureMismatch, match="unknown input column") as err:
        SIG.validate_frame(df, strict=True)
    assert err.value.field == "oops"


@pytest.mark.parametrize(
    ("column", "values", "message"),
    [
        ("age", [1.5], "row 0 is 1.5"),
        ("age", [float("nan")], "missing or infinite"),
        ("income", ["lots"], "expects float64"),
        ("city", [3], "expects string"),
        ("active", ["yes"], "expects bool"),
    ],
)
def test_wrong_values_name_the_field(column: str, values: list, message: str) -> None:
    row = {"age": [1], "income": [1.0], "city": ["a"], "active": [True]}
    row[column] = values
    with pytest.raises(SignatureMismatch, match=message) as err:
        SIG.validate_columns(row)
    assert err.value.field == column
    assert err.value.to_dict()["field"] == column


def test_missing_column_lists_what_was_sent() -> None:
    with pytest.raises(SignatureMismatch, match=r"missing input column\(s\) \['city'") as err:
        SIG.validate_records([{"age": 1, "income": 2.0, "active": True, "town": "x"}])
    assert err.value.field == "city"
    assert "town" in str(err.value)


def test_records_with_a_row_missing_a_column() -> None:
    rows = [
        {"age": 1, "income": 2.0, "city": "a", "active": True},
        {"age": 1, "income": 2.0, "active": True},
    ]
    with pytest.raises(SignatureMismatch, match="row 1 has no column 'city'"):
        SIG.validate_records(rows)


def test_validate_array_checks_shape_and_integrality() -> None:
    numeric = Signature((ColumnSpec("a", "int64"), ColumnSpec("b", "float64")))
    assert numeric.validate_array([[1, 2.5]]).dtype == np.float64
    with pytest.raises(SignatureMismatch, match="expected 2 columns"):
        numeric.validate_array(np.zeros((1, 3)))
    with pytest.raises(SignatureMismatch, match="2-D"):
        numeric.validate_array(np.zeros((1, 2, 2)))
    with pytest.raises(SignatureMismatch, match="'a'"):
        numeric.validate_array([[1.5, 2.0]])


def test_from_dict_rejects_garbage() -> None:
    with pytest.raises(SignatureMismatch, match="not a signature"):
        Signature.from_dict({"columns": []})


names = st.text("abcdefghijklmnopqrstuvwxyz_", min_size=1, max_size=8)


@given(st.lists(st.tuples(names, st.sampled_from(DTYPES)), max_size=6), st.sampled_from(DTYPES))
def test_signature_dict_round_trip(columns: list[tuple[str, str]], out: str) -> None:
    sig = Signature(tuple(ColumnSpec(n, d) for n, d in columns), (ColumnSpec("y", out),))
    assert Signature.from_dict(sig.to_dict()) == sig


@given(
    st.lists(st.floats(allow_nan=False, allow_infinity=False, width=64), min_size=1, max_size=20)
)
def test_inferred_signature_accepts_its_own_example(values: list[float]) -> None:
    df = pd.DataFrame({"x": values, "n": list(range(len(values)))})
    sig = infer_signature(df)
    pd.testing.assert_frame_equal(sig.validate_frame(df), df)

"""Schemas and validation: every rule, the report, inference from profiles, the gate."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from loopml.data import (
    ColumnSchema,
    DataValidationError,
    Expectation,
    Schema,
    ValidationReport,
    profile,
    split_valid,
    validate,
)
from loopml.errors import InvalidInput


def people() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "id": [1, 2, 2, 3, 4, 5],
            "age": [31.0, -1.0, np.nan, 200.0, 45.0, 50.0],
            "city": ["rome", "paris", "x", None, "rome", "oslo"],
            "email": ["a@b.io", "bad", "c@d.io", "e@f.io", None, "g@h.io"],
            "joined": pd.to_datetime(
                ["2020-01-01", "2030-01-01", None, "2021-01-01", "2021-06-01", "2022-01-01"],
                utc=True,
            ),
        }
    )


SCHEMA = Schema(
    [
        ColumnSchema("id", "int", nullable=False, unique=True),
        ColumnSchema("age", "numeric", nullable=False, min=0, max=130),
        ColumnSchema("city", "string", allowed=("rome", "paris", "oslo")),
        ColumnSchema("email", "string", pattern=r"^[^@]+@[^@]+\.[a-z]+$", max_length=40),
        ColumnSchema("joined", "datetime", max="2025-01-01"),
    ]
)


def by_check(report: ValidationReport) -> dict[tuple[str | None, str], object]:
    return {(c.column, c.check): c for c in report.checks}


def test_every_row_rule_reports_counts_rows_and_values() -> None:
    report = validate(people(), SCHEMA)
    checks = by_check(report)
    assert not report.passed
    assert not bool(report)
    assert checks[("id", "unique")].failed_count == 2
    assert checks[("id", "unique")].failed_rows == (1, 2)
    assert checks[("age", "not_null")].failed_rows == (2,)
    assert checks[("age", "min")].failed_values == (-1.0,)
    assert checks[("age", "max")].failed_rows == (3,)
    assert checks[("city", "allowed_values")].failed_values == ("x",)
    assert checks[("email", "pattern")].failed_rows == (1,)
    assert checks[("joined", "max")].failed_rows == (1,)
    assert checks[("email", "length")].passed
    assert checks[("id", "type")].passed
    assert checks[("id", "type")].observed == "int64"
    assert report.failed_row_count == 3  # rows 1, 2 and 3
    assert report.failed_columns == ["id", "age", "city", "email", "joined"]
    assert "age: 1 of 6 rows (16.7%) are below the minimum 0, e.g. -1.0 at row 1" in (
        report.summary()
    )


def test_report_is_json_ready_and_round_trips() -> None:
    report = validate(people(), SCHEMA)
    text = json.dumps(report.to_dict(), allow_nan=False)
    back = ValidationReport.from_dict(json.loads(text))
    assert back.passed == report.passed
    assert [c.check for c in back.checks] == [c.check for c in report.checks]
    assert report.to_frame().shape[0] == len(report.checks)


def test_a_passing_frame_passes_and_the_gate_raises_on_failure() -> None:
    good = people().iloc[[0, 4, 5]].assign(email=["a@b.io", "e@f.io", "g@h.io"])
    assert validate(good, SCHEMA).passed
    assert validate(good, SCHEMA, raise_on_failure=True).failures == ()
    with pytest.raises(DataValidationError) as caught:
        validate(people(), SCHEMA, raise_on_failure=True)
    assert caught.value.http_status == 422
    assert caught.value.report.failed_row_count == 3
    assert caught.value.to_dict()["report"]["passed"] is False


def test_structure_missing_extra_and_wrong_types() -> None:
    schema = Schema(
        [
            ColumnSchema("id", "string"),
            ColumnSchema("age", "float"),
            ColumnSchema("zip", "string"),
            ColumnSchema("note", required=False),
        ],
        strict=True,
    )
    checks = by_check(validate(people(), schema))
    assert checks[("zip", "column_present")].message == "column 'zip' is missing"
    assert ("note", "column_present") not in checks
    assert not checks[("id", "type")].passed
    assert checks[("id", "type")].message == "id: type int64, expected string"
    assert checks[("age", "type")].passed
    extra = checks[(None, "no_extra_columns")]
    assert not extra.passed
    assert extra.observed == ["city", "email", "joined"]


def test_unique_combinations() -> None:
    frame = pd.DataFrame({"user": [1, 1, 2, 2], "day": ["a", "b", "a", "a"], "v": range(4)})
    report = validate(frame, Schema(unique=[("user", "day")]))
    (check,) = report.checks
    assert check.check == "unique_combination"
    assert check.column == "user+day"
    assert check.failed_rows == (2, 3)
    assert check.failed_values == ((2, "a"), (2, "a"))
    assert report.failed_row_count == 2


def test_expectations_read_the_profile() -> None:
    frame = pd.DataFrame({"x": np.arange(100, dtype=float), "y": [None] * 10 + ["a"] * 90})
    schema = Schema(
        expectations=[
            Expectation.row_count(min=50, max=200),
            Expectation.mean("x", min=40, max=60),
            Expectation.quantile("x", 0.5, max=10),
            Expectation.null_fraction("y", max=0.05),
            Expectation.distinct_count("y", max=1),
            Expectation.std("zz", min=1),
        ]
    )
    checks = {(c.column, c.check): c for c in validate(frame, schema).checks}
    assert checks[(None, "expect_row_count")].passed
    assert checks[("x", "expect_mean")].observed == pytest.approx(49.5)
    assert checks[("x", "expect_mean")].passed
    assert not checks[("x", "expect_quantile")].passed
    assert checks[("x", "expect_quantile")].message == (
        "0.5 quantile of x at most 10: observed 49.5 (failed)"
    )
    assert not checks[("y", "expect_null_fraction")].passed
    assert checks[("y", "expect_distinct_count")].passed
    assert checks[("zz", "expect_std")].message.endswith("column is missing")


def test_schema_inferred_from_a_profile_accepts_its_data_and_catches_drift() -> None:
    rng = np.random.default_rng(0)
    reference = pd.DataFrame(
        {
            "id": np.arange(1000),
            "amount": rng.normal(100, 10, 1000),
            "plan": rng.choice(["free", "pro"], 1000),
        }
    )
    schema = Schema.from_profile(profile(reference), margin=0.1)
    assert schema["id"].unique
    assert not schema["id"].nullable
    assert schema["plan"].allowed == ("free", "pro")
    assert schema["amount"].min < reference.amount.min()
    assert validate(reference, schema).passed
    current = reference.assign(plan=reference.plan.replace("pro", "enterprise"))
    current.loc[:4, "amount"] = 10_000.0
    failed = {(c.column, c.check) for c in validate(current, schema).failures}
    assert failed == {("plan", "allowed_values"), ("amount", "max")}


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(-50, 50)),
            st.one_of(st.none(), st.floats(-1e6, 1e6)),
            st.one_of(st.none(), st.sampled_from(["a", "b", "c", "dd"])),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_any_frame_passes_the_schema_inferred_from_its_own_profile(rows) -> None:
    frame = pd.DataFrame(rows, columns=["i", "f", "s"]).astype({"i": "Int64", "f": "float64"})
    schema = Schema.from_profile(profile(frame))
    report = validate(frame, schema)
    assert report.passed, report.summary()


def test_split_valid_rows() -> None:
    valid, invalid = split_valid(people(), SCHEMA)
    assert list(invalid.index) == [1, 2, 3]
    assert list(valid.index) == [0, 4, 5]
    valid2, _ = SCHEMA.split(people())
    pd.testing.assert_frame_equal(valid, valid2)


def test_schema_files_round_trip(tmp_path) -> None:
    schema = Schema(
        [ColumnSchema("a", "int", min=0, allowed=(1, 2)), ColumnSchema("b", nullable=False)],
        strict=True,
        unique=[("a", "b")],
        expectations=[Expectation.mean("a", min=0), Expectation.row_count(max=10)],
        name="things",
    )
    for suffix in ("json", "yaml"):
        path = schema.save(tmp_path / f"schema.{suffix}")
        assert Schema.load(path) == schema
        assert Schema.load(path).digest == schema.digest
    assert Schema.from_dict(json.loads(json.dumps(schema.to_dict()))) == schema


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: ColumnSchema("a", min=5, max=1), "min 5 is greater than max 1"),
        (lambda: ColumnSchema("", "int"), "non-empty name"),
        (lambda: Expectation("median", "a", max=1), "unknown expectation statistic"),
        (lambda: Expectation("mean", "a"), "needs min=, max= or both"),
        (lambda: Expectation("row_count", "a", max=1), "row_count takes no column"),
        (lambda: Expectation.quantile("a", 0.3, max=1), "q= one of"),
        (lambda: Schema([ColumnSchema("a"), ColumnSchema("a")]), "more than once"),
        (lambda: Schema.from_dict({"columns": [], "colums": []}), "unknown schema keys"),
        (lambda: Schema.from_dict({"columns": [{"name": "a", "nul": 1}]}), "unknown column keys"),
        (lambda: validate({"a": [1, 2], "b": [1]}, Schema()), "dict of columns"),
    ],
)
def test_bad_schemas_are_refused_with_the_reason(build, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        build()


def test_dates_categoricals_and_checks_that_cannot_run() -> None:
    import datetime as dt

    import pyarrow as pa

    table = pa.table(
        {
            "d": pa.array([dt.date(2020, 1, 1), dt.date(2030, 1, 1), None]),
            "c": pa.array(["ab", "x", None]).dictionary_encode(),
            "n": ["1", "2", "3"],
        }
    )
    schema = Schema(
        [
            ColumnSchema("d", "date", min="2019-01-01", max="2025-01-01"),
            ColumnSchema("c", "string", pattern="^a", allowed=["ab"]),
            ColumnSchema("n", min=0),
        ]
    )
    checks = by_check(validate(table, schema))
    assert checks[("d", "max")].failed_rows == (1,)
    assert checks[("c", "pattern")].failed_values == ("x",)
    assert not checks[("n", "min")].passed
    assert "could not be checked" in checks[("n", "min")].message
    assert validate(table, Schema.from_profile(profile(table))).passed


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    values=st.lists(st.one_of(st.none(), st.integers(-20, 20)), min_size=1, max_size=60),
    low=st.integers(-10, 0),
    high=st.integers(0, 10),
    allowed=st.sets(st.integers(-20, 20), max_size=10),
)
def test_row_rule_counts_match_pandas_masks(values, low, high, allowed) -> None:
    series = pd.Series(values, dtype="Int64")
    schema = Schema(
        [
            ColumnSchema(
                "v", nullable=False, min=low, max=high, allowed=tuple(sorted(allowed)), unique=True
            )
        ]
    )
    checks = by_check(validate(pd.DataFrame({"v": series}), schema))
    present = series.dropna()
    assert checks[("v", "not_null")].failed_count == int(series.isna().sum())
    assert checks[("v", "min")].failed_count == int((present < low).sum())
    assert checks[("v", "max")].failed_count == int((present > high).sum())
    assert checks[("v", "allowed_values")].failed_count == int((~present.isin(allowed)).sum())
    assert checks[("v", "unique")].failed_count == int(present.duplicated(keep=False).sum())
    bad = series.isna() | (series < low) | (series > high) | ~series.isin(allowed)
    bad = bad.fillna(True) | series.duplicated(keep=False) & series.notna()
    report = validate(pd.DataFrame({"v": series}), schema)
    assert report.failed_row_count == int(bad.sum())

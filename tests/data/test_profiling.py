"""Profiles: statistics match pandas/numpy, JSON round trip, every kind of column."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from loopml.data import DatasetProfile, profile
from loopml.data.profiles import QUANTILES
from loopml.errors import InvalidInput, NotFound


def test_numeric_statistics_match_numpy() -> None:
    rng = np.random.default_rng(3)
    values = rng.normal(5, 2, 10_000)
    values[::10] = np.nan
    p = profile(pd.DataFrame({"v": values}))["v"]
    finite = values[~np.isnan(values)]
    assert p.kind == "numeric"
    assert p.type == "double"
    assert p.null_count == 1000
    assert p.count == 9000
    assert p.null_fraction == pytest.approx(0.1)
    assert p.min == pytest.approx(finite.min())
    assert p.max == pytest.approx(finite.max())
    assert p.mean == pytest.approx(finite.mean())
    assert p.std == pytest.approx(finite.std(ddof=1))
    for q in QUANTILES:
        assert p.quantile(q) == pytest.approx(np.quantile(finite, q))
    assert p.histogram is not None
    assert sum(p.histogram.counts) == 9000
    assert len(p.histogram.edges) == 21
    assert p.distinct_count == 9000
    assert p.is_unique
    assert p.top_values == ()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.one_of(st.none(), st.integers(-1000, 1000)), max_size=50))
def test_integer_profiles_agree_with_pandas(values: list[int | None]) -> None:
    series = pd.Series(values, dtype="Int64")
    p = profile(pd.DataFrame({"v": series}))["v"]
    present = series.dropna()
    assert p.null_count == int(series.isna().sum())
    assert p.distinct_count == present.nunique()
    if len(present):
        assert p.min == present.min()
        assert p.max == present.max()
        assert p.quantile(0.5) == pytest.approx(float(np.median(present.to_numpy(float))))
        if p.distinct_count <= 20:
            counts = present.value_counts()
            assert {v.value: v.count for v in p.top_values} == counts.to_dict()
    else:
        assert p.min is None
        assert p.quantiles == {}


def test_strings_categoricals_booleans_and_datetimes() -> None:
    frame = pd.DataFrame(
        {
            "city": ["rome", "paris", "rome", None, "rome"],
            "cat": pd.Categorical(["a", "b", "a", "a", None]),
            "flag": [True, False, True, True, None],
            "when": pd.to_datetime(["2024-01-01", "2024-06-01", None, "2023-01-01", "2024-01-02"]),
        }
    )
    p = profile(frame)
    assert p["city"].kind == "string"
    assert p["city"].top_values[0].value == "rome"
    assert p["city"].top_values[0].count == 3
    assert (p["city"].min_length, p["city"].max_length) == (4, 5)
    assert p["cat"].kind == "categorical"
    assert p["cat"].type == "string"
    assert p["cat"].distinct_count == 2
    assert p["flag"].kind == "boolean"
    assert p["flag"].mean == pytest.approx(0.75)
    assert p["when"].kind == "datetime"
    assert p["when"].min.startswith("2023-01-01")
    assert p["when"].max.startswith("2024-06-01")


def test_other_types_and_non_finite_values_stay_json_ready() -> None:
    table = pa.table(
        {
            "lists": pa.array([[1], None, [2, 3]]),
            "f": pa.array([1.0, float("inf"), float("-inf")]),
            "empty": pa.array([None, None, None], pa.float64()),
        }
    )
    p = profile(table)
    assert p["lists"].kind == "other"
    assert p["lists"].null_count == 1
    assert p["f"].infinite == 2
    assert p["f"].min == 1.0
    assert {v.value for v in p["f"].top_values} == {1.0, "inf", "-inf"}
    assert p["empty"].count == 0
    assert p["empty"].mean is None
    text = json.dumps(p.to_dict(), allow_nan=False)
    assert DatasetProfile.from_dict(json.loads(text)) == p


def test_profile_round_trips_and_looks_up_columns() -> None:
    p = profile(pd.DataFrame({"a": [1, 2, 2], "b": ["x", "y", None]}))
    assert DatasetProfile.from_dict(json.loads(json.dumps(p.to_dict()))) == p
    assert "a" in p
    assert "zz" not in p
    assert p.column_names == ["a", "b"]
    assert p.num_columns == 2
    with pytest.raises(NotFound, match="no column 'zz'"):
        p["zz"]
    with pytest.raises(InvalidInput, match="not profiled"):
        p["a"].quantile(0.3)
    summary = p.to_frame()
    assert list(summary.column) == ["a", "b"]

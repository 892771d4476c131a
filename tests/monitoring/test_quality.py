from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loopml.monitoring import ReferenceSummary, check_quality


def test_quality_figures_against_the_reference_profile() -> None:
    ref = ReferenceSummary.fit(
        pd.DataFrame(
            {"x": [1.0, 2.0, 3.0, np.nan], "c": ["a", "b", "a", "b"], "gone": [1, 2, 3, 4]}
        )
    )
    cur = pd.DataFrame(
        {
            "x": ["1.5", "oops", None, "9.0"],  # text in a numeric column
            "c": ["a", "zzz", None, "a"],
            "extra": [1, 2, 3, 4],
        }
    )
    report = check_quality(ref, cur)
    assert report.missing_columns == ("gone",)
    assert report.unexpected_columns == ("extra",)
    x = next(c for c in report.columns if c.column == "x")
    assert x.missing_rate == pytest.approx(0.25)
    assert x.reference_missing_rate == pytest.approx(0.25)
    assert x.type_errors == pytest.approx(0.25)
    assert x.out_of_range == pytest.approx(0.25)  # 9.0 > max 3.0
    c = next(c for c in report.columns if c.column == "c")
    assert c.new_categories == pytest.approx(0.25)
    metrics = report.metrics()
    assert metrics["quality.missing_rate.gone"] == 1.0
    assert metrics["quality.type_errors.x"] == pytest.approx(0.25)
    assert metrics["quality.missing_columns"] == 1.0


def test_all_null_column_is_flagged() -> None:
    ref = ReferenceSummary.fit(pd.DataFrame({"x": [1.0, 2.0]}))
    report = check_quality(ref, pd.DataFrame({"x": [np.nan, np.nan]}))
    assert report.columns[0].all_missing
    assert report.columns[0].missing_rate == 1.0


def test_empty_window_has_zero_rows_and_no_failure() -> None:
    ref = ReferenceSummary.fit(pd.DataFrame({"x": [1.0, 2.0]}))
    report = check_quality(ref, pd.DataFrame({"x": pd.Series([], dtype=float)}))
    assert report.rows == 0
    assert report.metrics()["quality.missing_rate.x"] == 0.0

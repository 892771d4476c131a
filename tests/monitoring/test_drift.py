from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from loopml.errors import InvalidInput
from loopml.monitoring import DriftConfig, ReferenceSummary, detect_drift


def _frame(n: int, seed: int, shift: float = 0.0, scale: float = 1.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    cats = np.array(["a", "b", "c", "d"], dtype=object)
    p = np.array([0.4, 0.3, 0.2, 0.1])
    q = (1 - shift) * p + shift * p[::-1]
    return pd.DataFrame(
        {
            "shifted": rng.normal(shift, 1, n),
            "scaled": rng.normal(0, scale, n),
            "clean": rng.exponential(2, n),
            "counts": rng.poisson(3, n),
            "cat": cats[rng.choice(4, n, p=q)],
            "cat_clean": cats[rng.choice(4, n, p=p)],
        }
    )


def test_finds_shifted_columns_and_only_them() -> None:
    reference = ReferenceSummary.fit(_frame(20_000, 1))
    report = detect_drift(reference, _frame(20_000, 2, shift=0.5, scale=1.6))
    assert sorted(report.drifted) == ["cat", "scaled", "shifted"]
    assert report.share == pytest.approx(3 / 6)
    assert report.dataset_drift
    shifted = report.column("shifted")
    assert shifted.test == "ks"
    assert shifted.effect_name == "wasserstein"
    assert shifted.effect == pytest.approx(0.5, abs=0.05)
    assert report.column("cat").test == "chi2"


def test_large_samples_do_not_flag_trivial_shifts() -> None:
    rng = np.random.default_rng(7)
    ref = pd.DataFrame({"x": rng.normal(0, 1, 200_000)})
    cur = pd.DataFrame({"x": rng.normal(0.03, 1, 200_000)})
    col = detect_drift(ReferenceSummary.fit(ref), cur).column("x")
    assert col.p_adjusted < 1e-6  # significant ...
    assert not col.drifted  # ... but too small to matter
    assert col.effect < col.threshold


def test_small_windows_need_significance() -> None:
    rng = np.random.default_rng(8)
    ref = ReferenceSummary.fit(pd.DataFrame({"x": rng.normal(0, 1, 10_000)}))
    report = detect_drift(ref, pd.DataFrame({"x": rng.normal(0, 1, 40)}))
    col = report.column("x")
    assert col.effect > 0.1  # noise alone makes a large effect in 40 rows
    assert not col.drifted


def test_many_clean_columns_stay_quiet_thanks_to_the_correction() -> None:
    rng = np.random.default_rng(9)
    ref = pd.DataFrame(rng.normal(size=(5000, 100)), columns=[f"x{i}" for i in range(100)])
    summary = ReferenceSummary.fit(ref)
    windows_flagged = loose_flagged = 0
    for seed in range(20):
        cur = pd.DataFrame(np.random.default_rng(seed).normal(size=(300, 100)), columns=ref.columns)
        loose = detect_drift(summary, cur, DriftConfig(correction="none", numeric_threshold=0.0))
        loose_flagged += bool(loose.drifted)
        windows_flagged += bool(detect_drift(summary, cur).drifted)
    assert loose_flagged >= 18  # p < 0.05 over 100 columns fires in nearly every window
    assert windows_flagged <= 2  # family-wise alpha = 0.05 per window: about 1 in 20


def test_unseen_categories_are_reported_and_count_as_drift() -> None:
    ref = ReferenceSummary.fit(pd.DataFrame({"c": ["a", "b"] * 500}))
    cur = pd.DataFrame({"c": ["a", "b", "new", "newer", "new"] * 100})
    col = detect_drift(ref, cur).column("c")
    assert col.new_categories == ("new", "newer")
    assert col.new_share == pytest.approx(0.6)
    assert col.drifted


def test_missing_columns_all_null_columns_and_empty_windows_are_results_not_errors() -> None:
    ref = ReferenceSummary.fit(_frame(1000, 1))
    cur = _frame(200, 2).drop(columns=["clean"]).assign(shifted=np.nan)
    report = detect_drift(ref, cur)
    assert report.missing_columns == ("clean",)
    shifted = report.column("shifted")
    assert not shifted.tested
    assert not shifted.drifted
    assert "0 current value(s)" in shifted.reason
    empty = detect_drift(ref, _frame(0, 3))
    assert empty.tested == 0
    assert empty.share == 0.0
    assert not empty.dataset_drift


def test_integer_reference_columns_are_exact() -> None:
    rng = np.random.default_rng(10)
    ref = ReferenceSummary.fit(pd.DataFrame({"n": rng.poisson(4, 100_000)}), points=64)
    col = ref.columns[0]
    assert col.kind == "numeric"
    assert col.is_integer
    report = detect_drift(ref, pd.DataFrame({"n": rng.poisson(4, 100_000)}))
    assert report.column("n").ks < 0.01


def test_psi_and_ks_effects_can_be_chosen() -> None:
    ref = ReferenceSummary.fit(_frame(5000, 1))
    cur = _frame(5000, 2, shift=0.5)
    report = detect_drift(ref, cur, DriftConfig(numeric_effect="psi", categorical_effect="psi"))
    assert report.column("shifted").effect_name == "psi"
    assert report.column("shifted").effect == pytest.approx(report.column("shifted").psi)
    assert report.column("cat").effect_name == "psi"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"alpha": 0}, "alpha"),
        ({"correction": "fdr"}, "correction"),
        ({"numeric_effect": "kl"}, "numeric_effect"),
        ({"share_threshold": 2}, "share_threshold"),
        ({"min_rows": 0}, "min_rows"),
    ],
)
def test_bad_drift_options_are_refused(options, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        DriftConfig(**options)


def test_unknown_reference_columns_are_refused() -> None:
    with pytest.raises(InvalidInput, match="no column"):
        ReferenceSummary.fit(_frame(10, 1), columns=["nope"])
    with pytest.raises(InvalidInput, match="no rows"):
        ReferenceSummary.fit(_frame(0, 1))


def test_report_frame_has_one_row_per_column() -> None:
    ref = ReferenceSummary.fit(_frame(1000, 1))
    frame = detect_drift(ref, _frame(500, 2)).to_frame()
    assert list(frame["column"]) == ["shifted", "scaled", "clean", "counts", "cat", "cat_clean"]
    assert {"p_value", "p_adjusted", "effect", "drifted"} <= set(frame.columns)


def test_all_null_reference_column_is_kept_but_not_tested() -> None:
    ref = ReferenceSummary.fit(pd.DataFrame({"x": [np.nan] * 50, "y": np.arange(50.0)}))
    back = ReferenceSummary.from_bytes(ref.to_bytes())
    report = detect_drift(back, pd.DataFrame({"x": np.arange(50.0), "y": np.arange(50.0)}))
    assert not report.column("x").tested
    assert report.column("y").tested


def test_high_cardinality_columns_do_not_drift_by_noise() -> None:
    rng = np.random.default_rng(11)
    codes = np.array([f"zip{i}" for i in range(3000)], dtype=object)
    ref = ReferenceSummary.fit(pd.DataFrame({"zip": codes[rng.integers(0, 3000, 100_000)]}))
    flagged = 0
    for _ in range(10):
        window = pd.DataFrame({"zip": codes[rng.integers(0, 3000, 2000)]})
        flagged += bool(detect_drift(ref, window).drifted)
    assert flagged <= 1
    shifted = pd.DataFrame({"zip": codes[rng.integers(0, 300, 2000)]})  # only a tenth of the zips
    assert detect_drift(ref, shifted).drifted == ["zip"]


def test_pooling_keeps_the_chi_square_calibrated() -> None:
    from loopml.monitoring.drift import pool_rare

    ref = np.array([500.0, 300.0, 10.0, 8.0, 6.0, 4.0, 2.0])
    cur = np.array([50.0, 30.0, 1.0, 1.0, 0.0, 1.0, 0.0])
    cells_ref, cells_cur = pool_rare(ref, cur, new=3.0, n=86)
    assert cells_ref.sum() == ref.sum()
    assert cells_cur.sum() == cur.sum() + 3.0
    assert len(cells_ref) < len(ref) + 1
    assert cells_cur[-1] >= 3.0  # unseen categories are in the last cell

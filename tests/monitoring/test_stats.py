from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings, strategies as st
from scipy import stats as sps
from scipy.spatial.distance import jensenshannon

from loopml.monitoring import stats
from loopml.monitoring.drift import detect_drift
from loopml.monitoring.ecdf import ks_statistic, wasserstein
from loopml.monitoring.summary import ReferenceSummary

finite = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


def test_js_distance_matches_scipy_and_is_symmetric() -> None:
    p = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8]])
    q = np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4]])
    expected = [jensenshannon(a, b, base=2) for a, b in zip(p, q, strict=True)]
    assert stats.js_distance(p, q) == pytest.approx(expected)
    assert stats.js_distance(q, p) == pytest.approx(stats.js_distance(p, q))


def test_chi2_matches_scipy_contingency_per_row() -> None:
    ref = np.array([[50, 30, 20, 0], [10, 10, 80, 0]])
    cur = np.array([[40, 40, 15, 5], [12, 9, 79, 0]])
    stat, p = stats.chi2_homogeneity(ref, cur)
    for i in range(2):
        table = np.stack([ref[i], cur[i]])
        table = table[:, table.sum(0) > 0]
        expected = sps.chi2_contingency(table, correction=False)
        assert stat[i] == pytest.approx(expected.statistic)
        assert p[i] == pytest.approx(expected.pvalue)


def test_holm_adjusts_like_the_textbook_example() -> None:
    adjusted = stats.holm([0.01, 0.04, 0.03, np.nan, 0.005])
    assert adjusted[4] == pytest.approx(0.02)  # 4 * 0.005
    assert adjusted[0] == pytest.approx(0.03)  # 3 * 0.01
    assert adjusted[2] == pytest.approx(0.06)  # max(2 * 0.03, previous)
    assert adjusted[1] == pytest.approx(0.06)  # max(0.04, previous)
    assert np.isnan(adjusted[3])


def test_ks_pvalue_agrees_with_scipy_for_large_samples() -> None:
    rng = np.random.default_rng(3)
    a, b = rng.normal(0, 1, 4000), rng.normal(0.05, 1, 3000)
    reference = sps.ks_2samp(a, b, method="asymp")
    ours = stats.ks_pvalue([reference.statistic], [4000], [3000])[0]
    assert ours == pytest.approx(reference.pvalue, rel=0.05)


def test_exact_summary_gives_scipy_ks_statistic_and_wasserstein() -> None:
    rng = np.random.default_rng(4)
    ref = np.round(rng.normal(0, 1, 900), 1)  # ties on purpose
    cur = np.round(rng.normal(0.3, 1.2, 700), 1)
    col = ReferenceSummary.fit(pd.DataFrame({"x": ref})).columns[0]
    xs = np.sort(cur)
    assert ks_statistic(col, xs) == pytest.approx(sps.ks_2samp(ref, cur).statistic)
    assert wasserstein(col, xs) == pytest.approx(sps.wasserstein_distance(ref, cur), rel=0.02)


def test_compressed_summary_is_within_one_knot_of_exact_ks() -> None:
    rng = np.random.default_rng(5)
    ref, cur = rng.lognormal(0, 1, 50_000), rng.lognormal(0.1, 1, 5_000)
    col = ReferenceSummary.fit(pd.DataFrame({"x": ref}), points=256).columns[0]
    exact = sps.ks_2samp(ref, cur).statistic
    assert abs(ks_statistic(col, np.sort(cur)) - exact) <= 1 / 256 + 1e-9
    assert len(col.knots) <= 256


@settings(max_examples=40, deadline=None)
@given(
    st.lists(finite, min_size=30, max_size=300),
    st.lists(st.sampled_from("abcd"), min_size=30, max_size=30),
)
def test_no_drift_between_identical_samples(values, labels) -> None:
    frame = pd.DataFrame({"x": values[:30], "c": labels})
    report = detect_drift(ReferenceSummary.fit(frame), frame)
    for col in report.columns:
        assert not col.drifted
        assert col.psi == pytest.approx(0.0, abs=1e-12)
    x, c = report.column("x"), report.column("c")
    assert x.ks == pytest.approx(0.0, abs=1e-12)
    assert x.wasserstein == pytest.approx(0.0, abs=1e-9)
    assert c.jensen_shannon == pytest.approx(0.0, abs=1e-7)


@settings(max_examples=30, deadline=None)
@given(st.lists(finite, min_size=5, max_size=80), st.lists(finite, min_size=5, max_size=80))
def test_ks_statistic_is_symmetric_and_matches_scipy(a, b) -> None:
    def d(x, y):
        col = ReferenceSummary.fit(pd.DataFrame({"x": x})).columns[0]
        return ks_statistic(col, np.sort(np.asarray(y, dtype=float)))

    assert d(a, b) == pytest.approx(d(b, a), abs=1e-12)
    assert d(a, b) == pytest.approx(sps.ks_2samp(a, b, method="asymp").statistic, abs=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 2**31 - 1))
def test_summaries_and_reports_are_deterministic(seed) -> None:
    rng = np.random.default_rng(seed)
    ref = pd.DataFrame({"x": rng.normal(size=500), "c": rng.choice(["a", "b"], 500)})
    cur = pd.DataFrame({"x": rng.normal(0.2, size=200), "c": rng.choice(["a", "b", "z"], 200)})
    first, second = ReferenceSummary.fit(ref), ReferenceSummary.fit(ref)
    assert first.to_bytes() == second.to_bytes()
    assert detect_drift(first, cur) == detect_drift(second, cur)


def test_summary_round_trips_through_bytes() -> None:
    rng = np.random.default_rng(6)
    frame = pd.DataFrame(
        {"x": rng.normal(size=5000), "n": rng.poisson(3, 5000), "c": rng.choice(["a", "b"], 5000)}
    )
    summary = ReferenceSummary.fit(frame, points=128)
    back = ReferenceSummary.from_bytes(summary.to_bytes())
    assert back.to_bytes() == summary.to_bytes()
    assert back.names == ["x", "n", "c"]
    assert detect_drift(back, frame.iloc[:1000]) == detect_drift(summary, frame.iloc[:1000])


def test_psi_is_zero_on_identical_shares_and_positive_otherwise() -> None:
    shares = np.array([[0.2, 0.3, 0.5]])
    assert stats.psi(shares, shares)[0] == 0.0
    assert stats.psi(shares, np.array([[0.5, 0.3, 0.2]]))[0] > 0.1

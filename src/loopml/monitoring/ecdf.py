"""The two numeric kernels of a drift check, read through a reference's compressed ECDF (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from numpy.typing import NDArray

    from loopml.monitoring.summary import NumericSummary


def ks_statistic(col: NumericSummary, xs: NDArray[np.float64]) -> float:
    """Exact two-sample KS statistic of sorted values ``xs`` against the reference ECDF.

    ``F_cur`` only jumps at current values, so the supremum is reached at a current value
    or just before it; the reference is read through its knots, never scanned.
    """
    n = len(xs)
    starts = np.flatnonzero(np.concatenate([[True], xs[1:] != xs[:-1]]))
    ends = np.concatenate([starts[1:], [n]])
    values = xs[starts]
    ref_left, ref_right = reference_cdf(col, values)
    d_right = np.abs(ref_right - ends / n).max()
    d_left = np.abs(ref_left - starts / n).max()
    return float(max(d_right, d_left))


def reference_cdf(
    col: NumericSummary, x: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Reference ECDF just below and at each ``x``: exact at knots, linear between them."""
    knots, left, right = col.knots, col.cdf_left, col.cdf_right
    k = np.searchsorted(knots, x, "right") - 1
    inside = (k >= 0) & (k < len(knots) - 1)
    kk = np.clip(k, 0, len(knots) - 1)
    at_knot = (k >= 0) & (knots[kk] == x)
    nxt = np.clip(k + 1, 0, len(knots) - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = (x - knots[kk]) / (knots[nxt] - knots[kk])
    between = right[kk] + np.nan_to_num(t) * (left[nxt] - right[kk])
    mid = np.where(inside, between, np.where(k < 0, 0.0, 1.0))
    return np.where(at_knot, left[kk], mid), np.where(at_knot, right[kk], mid)


def wasserstein(col: NumericSummary, xs: NDArray[np.float64]) -> float:
    """Wasserstein-1 distance between sorted ``xs`` and the reference (quantile form)."""
    n = len(xs)
    probs = (np.arange(n) + 0.5) / n
    grid_p = np.column_stack([col.cdf_left, col.cdf_right]).ravel()
    grid_x = np.repeat(col.knots, 2)
    return float(np.abs(np.interp(probs, grid_p, grid_x) - xs).mean())

"""Pure, vectorised drift statistics (no I/O): each function works on all columns at once.

Conventions: ``ref`` and ``cur`` are 2-D arrays of shares or counts, one row per column;
results are 1-D arrays with one value per column.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from scipy.special import kolmogorov
from scipy.stats import chi2

if TYPE_CHECKING:
    from numpy.typing import ArrayLike, NDArray

#: floor for bin shares in PSI, so that an empty bin gives a large but finite term
PSI_EPS = 1e-4


def ks_pvalue(d: ArrayLike, n_ref: ArrayLike, n_cur: ArrayLike) -> NDArray[np.float64]:
    """Two-sample Kolmogorov-Smirnov p-values for statistics ``d``.

    Uses the Kolmogorov distribution with Stephens' small-sample correction
    ``(sqrt(en) + 0.12 + 0.11 / sqrt(en)) * d``, ``en = n m / (n + m)``.
    """
    d = np.asarray(d, dtype=np.float64)
    n = np.asarray(n_ref, dtype=np.float64)
    m = np.asarray(n_cur, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        en = np.sqrt(n * m / (n + m))
        lam = (en + 0.12 + 0.11 / en) * d
    p = np.where((n > 0) & (m > 0), kolmogorov(np.nan_to_num(lam)), 1.0)
    return np.clip(p, 0.0, 1.0)


def holm(p: ArrayLike) -> NDArray[np.float64]:
    """Holm-Bonferroni adjusted p-values (family-wise error control over the columns).

    NaN p-values (columns not tested) stay NaN and do not count in the family.
    """
    p = np.asarray(p, dtype=np.float64)
    out = np.full_like(p, np.nan)
    tested = np.flatnonzero(~np.isnan(p))
    m = len(tested)
    if m == 0:
        return out
    order = tested[np.argsort(p[tested], kind="stable")]
    scaled = (m - np.arange(m)) * p[order]
    out[order] = np.minimum(np.maximum.accumulate(scaled), 1.0)
    return out


def psi(ref: ArrayLike, cur: ArrayLike) -> NDArray[np.float64]:
    """Population stability index per row of bin shares: sum((c - r) * ln(c / r))."""
    r = np.maximum(np.asarray(ref, dtype=np.float64), PSI_EPS)
    c = np.maximum(np.asarray(cur, dtype=np.float64), PSI_EPS)
    return np.asarray(((c - r) * np.log(c / r)).sum(axis=-1), dtype=np.float64)


def js_distance(ref: ArrayLike, cur: ArrayLike) -> NDArray[np.float64]:
    """Jensen-Shannon distance (base 2, in [0, 1]) per row of shares."""
    p = np.asarray(ref, dtype=np.float64)
    q = np.asarray(cur, dtype=np.float64)
    mid = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        kl_p = np.where(p > 0, p * np.log2(p / mid), 0.0).sum(axis=-1)
        kl_q = np.where(q > 0, q * np.log2(q / mid), 0.0).sum(axis=-1)
    return np.asarray(np.sqrt(np.clip((kl_p + kl_q) / 2, 0.0, 1.0)), dtype=np.float64)


def chi2_homogeneity(
    ref_counts: ArrayLike, cur_counts: ArrayLike
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Chi-square test that two count vectors share one distribution, per row.

    Categories empty in both samples are ignored; degrees of freedom = categories - 1.

    Returns:
        ``(statistic, p_value)`` arrays.
    """
    obs = np.stack([np.asarray(ref_counts, np.float64), np.asarray(cur_counts, np.float64)])
    obs = obs.reshape(2, -1, obs.shape[-1])  # (sample, row, category)
    col_tot = obs.sum(axis=0, keepdims=True)
    row_tot = obs.sum(axis=2, keepdims=True)
    total = obs.sum(axis=(0, 2), keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        expected = row_tot * col_tot / total
        terms = np.where(expected > 0, (obs - expected) ** 2 / expected, 0.0)
    stat = terms.sum(axis=(0, 2))
    dof = (col_tot[0] > 0).sum(axis=-1) - 1
    empty = (row_tot[0, :, 0] == 0) | (row_tot[1, :, 0] == 0) | (dof < 1)
    p = np.where(empty, 1.0, chi2.sf(stat, np.maximum(dof, 1)))
    stat = np.where(empty, 0.0, stat)
    shape = np.shape(np.asarray(ref_counts))[:-1]
    return stat.reshape(shape), p.reshape(shape)

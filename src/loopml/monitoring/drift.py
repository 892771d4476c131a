"""Column drift between a reference summary and a current window, with per-column verdicts.

The decision rule (see docs/monitoring.md, "When is a column drifted"):

1. *Significance, corrected for many columns.* Numeric columns get the two-sample
   Kolmogorov-Smirnov test, categorical columns the chi-square test of homogeneity (unseen
   categories form one extra cell). The p-values of all columns of one window are adjusted
   with Holm-Bonferroni, so the chance that a window flags any column by luck is at most
   ``alpha`` however many columns are checked.
2. *A minimum effect size.* A significant column is drifted only when the shift is large
   enough to matter: Wasserstein distance divided by the reference standard deviation for
   numeric columns, Jensen-Shannon distance for categorical ones (PSI can be chosen
   instead). Large windows make tiny shifts significant; this gate keeps them quiet.
3. Columns with fewer than ``min_rows`` non-null current values are not tested.

The dataset drifts when the share of drifted columns reaches ``share_threshold``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.errors import InvalidInput
from loopml.monitoring import frames, stats
from loopml.monitoring.ecdf import ks_statistic, wasserstein
from loopml.monitoring.options import Correction, DriftConfig
from loopml.monitoring.summary import (
    CategoricalSummary,
    NumericSummary,
    ReferenceSummary,
    bin_shares,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    import pandas as pd
    from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class ColumnDrift:
    """Drift statistics and the verdict for one column.

    ``p_value`` is the raw test p-value and ``p_adjusted`` the corrected one; ``effect`` is
    the effect size the verdict used (named by ``effect_name``). ``tested`` is false when the
    column had too few current values (``reason`` says why).
    """

    column: str
    kind: str
    test: str
    statistic: float
    p_value: float
    p_adjusted: float
    effect_name: str
    effect: float
    threshold: float
    drifted: bool
    tested: bool
    n_reference: int
    n_current: int
    psi: float
    wasserstein: float | None = None
    ks: float | None = None
    jensen_shannon: float | None = None
    mean_current: float | None = None
    new_categories: tuple[str, ...] = ()
    new_share: float = 0.0
    reason: str = ""
    histogram: tuple[float, ...] | None = None

    def metrics(self) -> dict[str, float]:
        """Return the numbers of this column as a flat mapping (for storage and rules)."""
        out = {
            "drifted": float(self.drifted),
            "p_value": self.p_value,
            "p_adjusted": self.p_adjusted,
            "effect": self.effect,
            "statistic": self.statistic,
            "psi": self.psi,
        }
        for name in ("wasserstein", "ks", "jensen_shannon"):
            value = getattr(self, name)
            if value is not None:
                out[name] = value
        if self.kind == "categorical":
            out["new_share"] = self.new_share
        return out


@dataclass(frozen=True, slots=True)
class DriftReport:
    """Drift of every checked column of one window against the reference."""

    columns: tuple[ColumnDrift, ...]
    config: DriftConfig
    rows: int
    missing_columns: tuple[str, ...] = ()

    @property
    def drifted(self) -> list[str]:
        """Names of the drifted columns."""
        return [c.column for c in self.columns if c.drifted]

    @property
    def tested(self) -> int:
        """How many columns were tested."""
        return sum(c.tested for c in self.columns)

    @property
    def share(self) -> float:
        """Share of drifted columns among the tested ones (0 when none was tested)."""
        return len(self.drifted) / self.tested if self.tested else 0.0

    @property
    def dataset_drift(self) -> bool:
        """Whether the share of drifted columns reaches the configured threshold."""
        return self.tested > 0 and self.share >= self.config.share_threshold

    def column(self, name: str) -> ColumnDrift:
        """Return one column's result.

        Raises:
            InvalidInput: the column was not checked.
        """
        for col in self.columns:
            if col.column == name:
                return col
        raise InvalidInput(
            f"column {name!r} was not checked; checked: {[c.column for c in self.columns]}"
        )

    def to_frame(self) -> pd.DataFrame:
        """Return one row per column (statistics and verdicts) as a DataFrame."""
        import pandas as pd

        rows = []
        for col in self.columns:
            row = {k: getattr(col, k) for k in col.__dataclass_fields__ if k != "histogram"}
            row["new_categories"] = list(col.new_categories)
            rows.append(row)
        return pd.DataFrame(rows)


@dataclass(slots=True)
class _Batch:
    """Per-column reductions gathered before the vectorised tests."""

    names: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    stat: list[float] = field(default_factory=list)
    n_ref: list[int] = field(default_factory=list)
    n_cur: list[int] = field(default_factory=list)
    ref_bins: list[NDArray[np.float64]] = field(default_factory=list)
    cur_bins: list[NDArray[np.float64]] = field(default_factory=list)
    extra: list[dict[str, Any]] = field(default_factory=list)


def detect_drift(
    reference: ReferenceSummary,
    current: Any,
    config: DriftConfig | None = None,
    *,
    columns: Sequence[str] | None = None,
) -> DriftReport:
    """Check a current window against a reference summary.

    Args:
        reference: the fitted reference.
        current: the current window (DataFrame, Arrow table, mapping or path).
        config: thresholds and tests (default :class:`DriftConfig`).
        columns: the columns to check (default: every reference column).

    Returns:
        A :class:`DriftReport`; columns missing from ``current`` are listed in
        ``missing_columns`` and not tested (never an exception).
    """
    config = config or DriftConfig()
    frame = frames.to_frame(current)
    summary = reference if columns is None else reference.select(columns)
    present = {str(c) for c in frame.columns}
    missing = tuple(c.name for c in summary.columns if c.name not in present)
    batch = _Batch()
    for col in summary.columns:
        if col.name in present:
            _reduce(batch, col, frame[col.name])
    return DriftReport(_verdicts(batch, config), config, len(frame), missing)


def _reduce(batch: _Batch, col: NumericSummary | CategoricalSummary, series: pd.Series) -> None:
    batch.names.append(col.name)
    batch.kinds.append(col.kind)
    batch.n_ref.append(col.count)
    if isinstance(col, NumericSummary):
        values = frames.numeric_values(series)
        _reduce_numeric(batch, col, np.sort(values[~np.isnan(values)]))
    else:
        _reduce_categorical(batch, col, series)


def _reduce_numeric(batch: _Batch, col: NumericSummary, xs: NDArray[np.float64]) -> None:
    n = len(xs)
    batch.n_cur.append(n)
    if n == 0 or col.count == 0:
        batch.stat.append(np.nan)
        batch.ref_bins.append(col.psi_ref)
        batch.cur_bins.append(np.zeros_like(col.psi_ref))
        batch.extra.append({})
        return
    batch.stat.append(ks_statistic(col, xs))
    cuts = np.searchsorted(xs, col.psi_edges, "right")
    batch.ref_bins.append(col.psi_ref)
    batch.cur_bins.append(np.diff(np.concatenate([[0], cuts, [n]])) / n)
    batch.extra.append(
        {
            "wasserstein": wasserstein(col, xs) / col.spread,
            "mean": float(xs.mean()),
            "hist": bin_shares(xs, col.hist_edges),
        }
    )


def _reduce_categorical(batch: _Batch, col: CategoricalSummary, series: pd.Series) -> None:
    codes, unseen, _ = frames.category_codes(series, col.categories)
    k = len(col.categories)
    counts = np.bincount(codes[codes >= 0], minlength=k).astype(np.float64)
    n_new = int((codes < 0).sum())
    n = len(codes)
    batch.n_cur.append(n)
    batch.stat.append(np.nan)
    order = np.argsort(np.array(col.categories, dtype=object), kind="stable")
    ref_cells, cur_cells = pool_rare(col.counts.astype(np.float64), counts, float(n_new), n, order)
    batch.ref_bins.append(ref_cells)
    batch.cur_bins.append(cur_cells)
    top = _top_labels(unseen) if n_new else ()
    hist = np.append(counts, float(n_new)) / max(n, 1)
    batch.extra.append({"new": top, "new_share": n_new / n if n else 0.0, "hist": hist})


def pool_rare(
    ref: NDArray[np.float64],
    cur: NDArray[np.float64],
    new: float,
    n: int,
    order: NDArray[np.intp] | None = None,
    minimum: float = 5.0,
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Cells for the tests, with rare categories pooled so every cell is expected ``minimum``
    times in the window; unseen categories join the last cell.

    Sparse cells make the chi-square approximation anti-conservative and inflate the
    Jensen-Shannon distance of high-cardinality columns (ids, postcodes) by noise alone.
    Rare categories are pooled in ``order`` (the label order: pooling by observed frequency
    would bias the pooled reference shares), so a window that uses only a few of many rare
    categories still shows up as drift.
    """
    expected = ref / max(ref.sum(), 1.0) * n
    ranked = np.arange(len(ref)) if order is None else order
    rare = ranked[expected[ranked] < minimum]
    if len(rare) == 0:
        return np.append(ref, 0.0), np.append(cur, new)
    keep = np.flatnonzero(expected >= minimum)
    filled = np.cumsum(expected[rare])
    bucket = ((filled - expected[rare]) // minimum).astype(np.int64)
    ref_pool = np.bincount(bucket, weights=ref[rare])
    cur_pool = np.bincount(bucket, weights=cur[rare], minlength=len(ref_pool))
    cur_pool[-1] += new
    return np.concatenate([ref[keep], ref_pool]), np.concatenate([cur[keep], cur_pool])


def _top_labels(unseen: NDArray[Any], limit: int = 10) -> tuple[str, ...]:
    labels, freq = np.unique(unseen.astype(str), return_counts=True)
    order = np.lexsort((labels, -freq))[:limit]
    return tuple(str(labels[i]) for i in order)


def _pad(rows: Sequence[NDArray[np.float64]]) -> NDArray[np.float64]:
    width = max((len(r) for r in rows), default=1)
    out = np.zeros((len(rows), max(width, 1)))
    for i, row in enumerate(rows):
        out[i, : len(row)] = row
    return out


def _verdicts(batch: _Batch, config: DriftConfig) -> tuple[ColumnDrift, ...]:
    if not batch.names:
        return ()
    kinds = np.array(batch.kinds)
    numeric = kinds == "numeric"
    n_ref = np.array(batch.n_ref, dtype=np.float64)
    n_cur = np.array(batch.n_cur, dtype=np.float64)
    ref_raw, cur_raw = _pad(batch.ref_bins), _pad(batch.cur_bins)
    ref_share = ref_raw / np.maximum(ref_raw.sum(axis=1, keepdims=True), 1)
    cur_share = cur_raw / np.maximum(cur_raw.sum(axis=1, keepdims=True), 1)
    ks_d = np.array(batch.stat, dtype=np.float64)
    chi_stat, chi_p = stats.chi2_homogeneity(ref_raw, cur_raw)
    p = np.where(numeric, stats.ks_pvalue(np.nan_to_num(ks_d), n_ref, n_cur), chi_p)
    tested = n_cur >= config.min_rows
    tested &= n_ref > 0
    p = np.where(tested, p, np.nan)
    p_adj = _correct(p, config.correction)
    psi = stats.psi(ref_share, cur_share)
    js = stats.js_distance(ref_share, cur_share)
    statistic = np.where(numeric, ks_d, chi_stat)
    return tuple(
        _column(batch, i, config, statistic[i], p[i], p_adj[i], psi[i], js[i], bool(tested[i]))
        for i in range(len(batch.names))
    )


def _correct(p: NDArray[np.float64], correction: Correction) -> NDArray[np.float64]:
    if correction == "holm":
        return stats.holm(p)
    if correction == "bonferroni":
        return np.minimum(p * int((~np.isnan(p)).sum()), 1.0)
    return p


def _column(
    batch: _Batch,
    i: int,
    config: DriftConfig,
    statistic: float,
    p: float,
    p_adj: float,
    psi: float,
    js: float,
    tested: bool,
) -> ColumnDrift:
    extra = batch.extra[i]
    numeric = batch.kinds[i] == "numeric"
    effect_name: str
    if numeric:
        effects = {"wasserstein": extra.get("wasserstein", 0.0), "psi": psi, "ks": statistic}
        effect_name, threshold = config.numeric_effect, config.numeric_gate
    else:
        effects = {"jensen_shannon": js, "psi": psi}
        effect_name, threshold = config.categorical_effect, config.categorical_gate
    effect = float(np.nan_to_num(effects[effect_name]))
    drifted = tested and p_adj < config.alpha and effect >= threshold
    reason = (
        ""
        if tested
        else f"{batch.n_cur[i]} current value(s), fewer than min_rows={config.min_rows}"
    )
    hist = extra.get("hist")
    return ColumnDrift(
        column=batch.names[i],
        kind=batch.kinds[i],
        test="ks" if numeric else "chi2",
        statistic=float(np.nan_to_num(statistic)),
        p_value=float(p),
        p_adjusted=float(p_adj),
        effect_name=effect_name,
        effect=effect,
        threshold=threshold,
        drifted=bool(drifted),
        tested=tested,
        n_reference=batch.n_ref[i],
        n_current=batch.n_cur[i],
        psi=float(psi),
        wasserstein=float(extra["wasserstein"]) if "wasserstein" in extra else None,
        ks=float(statistic) if numeric and tested else None,
        jensen_shannon=None if numeric else float(js),
        mean_current=extra.get("mean"),
        new_categories=extra.get("new", ()),
        new_share=float(extra.get("new_share", 0.0)),
        reason=reason,
        histogram=None if hist is None else tuple(float(v) for v in hist),
    )


def with_options(config: DriftConfig | None, **options: Any) -> DriftConfig:
    """Return ``config`` (or the default) with ``options`` replaced."""
    return replace(config or DriftConfig(), **options)

"""Data quality of a window against the reference profile (pure).

Per column: missing-value rate (and the reference's), share of numeric values outside the
reference range, share of values of the wrong type (text in a numeric column), share of
categories the reference never saw; per window: missing and unexpected columns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.monitoring import frames
from loopml.monitoring.summary import NumericSummary

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.monitoring.summary import ReferenceSummary


@dataclass(frozen=True, slots=True)
class ColumnQuality:
    """Quality figures of one column in one window (shares of the window's rows)."""

    column: str
    kind: str
    missing_rate: float
    reference_missing_rate: float
    out_of_range: float = 0.0
    type_errors: float = 0.0
    new_categories: float = 0.0
    all_missing: bool = False


@dataclass(frozen=True, slots=True)
class QualityReport:
    """Data quality of one window."""

    rows: int
    columns: tuple[ColumnQuality, ...]
    missing_columns: tuple[str, ...]
    unexpected_columns: tuple[str, ...]

    def metrics(self) -> dict[str, float]:
        """Return flat metrics: ``quality.rows``, ``quality.missing_rate.<col>``, ..."""
        out: dict[str, float] = {
            "quality.rows": float(self.rows),
            "quality.missing_columns": float(len(self.missing_columns)),
            "quality.unexpected_columns": float(len(self.unexpected_columns)),
        }
        for col in self.columns:
            out[f"quality.missing_rate.{col.column}"] = col.missing_rate
            if col.kind == "numeric":
                out[f"quality.out_of_range.{col.column}"] = col.out_of_range
                out[f"quality.type_errors.{col.column}"] = col.type_errors
            else:
                out[f"quality.new_categories.{col.column}"] = col.new_categories
        for name in self.missing_columns:
            out[f"quality.missing_rate.{name}"] = 1.0
        return out


def check_quality(
    reference: ReferenceSummary, current: Any, *, columns: Sequence[str] | None = None
) -> QualityReport:
    """Check a window's data quality against the reference summary.

    Args:
        reference: the fitted reference.
        current: the window (DataFrame, Arrow table, mapping or path).
        columns: the columns to check (default: every reference column).
    """
    frame = frames.to_frame(current)
    summary = reference if columns is None else reference.select(columns)
    present = [str(c) for c in frame.columns]
    missing = tuple(c.name for c in summary.columns if c.name not in present)
    unexpected = tuple(c for c in present if c not in set(summary.names)) if columns is None else ()
    rows = len(frame)
    results = []
    for col in summary.columns:
        if col.name in present:
            results.append(_column(col, frame[col.name], rows))
    return QualityReport(rows, tuple(results), missing, unexpected)


def _column(col: Any, series: Any, rows: int) -> ColumnQuality:
    total = col.count + col.nulls
    ref_missing = col.nulls / total if total else 0.0
    denominator = max(rows, 1)
    nulls = int(series.isna().sum())
    if isinstance(col, NumericSummary):
        values, errors = frames.numeric_with_errors(series)
        valid = values[~np.isnan(values)]
        outside = int(((valid < col.minimum) | (valid > col.maximum)).sum()) if col.count else 0
        return ColumnQuality(
            col.name, "numeric", nulls / denominator, ref_missing,
            out_of_range=outside / denominator, type_errors=errors / denominator,
            all_missing=rows > 0 and nulls == rows,
        )  # fmt: skip
    codes, _, _ = frames.category_codes(series, col.categories)
    unseen = int((codes < 0).sum())
    return ColumnQuality(
        col.name, "categorical", nulls / denominator, ref_missing,
        new_categories=unseen / denominator, all_missing=rows > 0 and nulls == rows,
    )  # fmt: skip

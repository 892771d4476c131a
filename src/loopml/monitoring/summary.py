"""Reference summaries: fit once from the reference data, check many windows against them.

A numeric column is summarised by a compressed empirical CDF: at most ``points`` knots taken
at the reference quantiles, with the exact left and right limits of the ECDF at each knot
(atoms such as integer counts are exact; between knots the CDF is interpolated linearly, so
the error is at most one knot's share of the mass, ``1/points``). Decile bins (for PSI),
histogram bins (for reports), mean, spread and range are stored beside it. A categorical
column is summarised by its category counts.

The summary's size and the cost of checking a window against it do not grow with the
number of reference rows. Summaries serialise to deterministic bytes (``to_bytes``), so
the same reference always has the same content digest.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from loopml.errors import InvalidInput
from loopml.monitoring import frames

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from numpy.typing import NDArray

ColumnKind = Literal["numeric", "categorical"]
FORMAT = "loopml.reference/1"
DEFAULT_POINTS = 4096
PSI_BINS = 10
HIST_BINS = 20


@dataclass(frozen=True, slots=True, eq=False)
class NumericSummary:
    """A numeric reference column: compressed ECDF, PSI bins, histogram and moments."""

    name: str
    count: int
    nulls: int
    knots: NDArray[np.float64]
    cdf_left: NDArray[np.float64]
    cdf_right: NDArray[np.float64]
    psi_edges: NDArray[np.float64]
    psi_ref: NDArray[np.float64]
    hist_edges: NDArray[np.float64]
    hist_ref: NDArray[np.float64]
    mean: float
    std: float
    minimum: float
    maximum: float
    is_integer: bool = False
    kind: ColumnKind = field(default="numeric", init=False)

    @property
    def spread(self) -> float:
        """The scale Wasserstein distances are divided by: the reference std (1 if constant)."""
        return self.std if self.std > 0 else 1.0


@dataclass(frozen=True, slots=True, eq=False)
class CategoricalSummary:
    """A categorical reference column: category labels (as text) and their counts."""

    name: str
    count: int
    nulls: int
    categories: tuple[str, ...]
    counts: NDArray[np.int64]
    kind: ColumnKind = field(default="categorical", init=False)

    @property
    def frequencies(self) -> NDArray[np.float64]:
        """Category shares among non-null reference values."""
        total = max(int(self.counts.sum()), 1)
        return self.counts / total


ColumnSummary = NumericSummary | CategoricalSummary


@dataclass(frozen=True, slots=True, eq=False)
class ReferenceSummary:
    """Everything a drift or quality check needs from the reference, computed once.

    Example:
        >>> import pandas as pd
        >>> ref = ReferenceSummary.fit(pd.DataFrame({"x": [1.0, 2.0, 3.0], "c": ["a", "b", "a"]}))
        >>> [c.kind for c in ref.columns]
        ['numeric', 'categorical']
    """

    columns: tuple[ColumnSummary, ...]
    rows: int
    points: int = DEFAULT_POINTS

    @classmethod
    def fit(
        cls,
        data: Any,
        *,
        columns: Sequence[str] | None = None,
        categorical: Sequence[str] = (),
        points: int = DEFAULT_POINTS,
    ) -> ReferenceSummary:
        """Summarise a DataFrame, Arrow table or mapping of columns.

        Args:
            data: the reference data.
            columns: the columns to summarise (default: all).
            categorical: columns to treat as categorical even when they hold numbers.
            points: most knots kept per numeric column (the CDF error is at most 1/points).

        Raises:
            InvalidInput: no rows, an unknown column, or ``points`` below 16.
        """
        if points < 16:
            raise InvalidInput(f"points must be at least 16, not {points}")
        frame = frames.to_frame(data)
        names = frames.select_columns(frame, columns, what="reference")
        if len(frame) == 0:
            raise InvalidInput("the reference has no rows; give at least one row per column")
        kinds = frames.column_kinds(frame, names, categorical)
        summaries: list[ColumnSummary] = []
        for name in names:
            if kinds[name] == "numeric":
                summaries.append(_fit_numeric(name, frames.numeric_values(frame[name]), points))
            else:
                summaries.append(_fit_categorical(name, frame[name]))
        return cls(tuple(summaries), len(frame), points)

    @property
    def names(self) -> list[str]:
        """Column names, in order."""
        return [c.name for c in self.columns]

    def column(self, name: str) -> ColumnSummary:
        """Return the summary of one column.

        Raises:
            InvalidInput: the reference has no such column.
        """
        for summary in self.columns:
            if summary.name == name:
                return summary
        raise InvalidInput(f"the reference has no column {name!r}; its columns are {self.names}")

    def select(self, names: Sequence[str]) -> ReferenceSummary:
        """Return the summary restricted to ``names`` (in that order)."""
        return ReferenceSummary(tuple(self.column(n) for n in names), self.rows, self.points)

    def to_bytes(self) -> bytes:
        """Serialise to deterministic bytes (an ``.npz`` archive with a JSON header)."""
        header: dict[str, Any] = {"format": FORMAT, "rows": self.rows, "points": self.points}
        arrays: dict[str, NDArray[Any]] = {}
        described = []
        for i, col in enumerate(self.columns):
            described.append(_describe(i, col, arrays))
        header["columns"] = described
        arrays["header"] = np.frombuffer(json.dumps(header, sort_keys=True).encode(), np.uint8)
        sink = io.BytesIO()
        np.savez(sink, **arrays)  # type: ignore[arg-type]
        return sink.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes) -> ReferenceSummary:
        """Read a summary written by :meth:`to_bytes`.

        Raises:
            InvalidInput: the bytes are not a loopml reference summary.
        """
        try:
            with np.load(io.BytesIO(data), allow_pickle=False) as archive:
                arrays = {k: archive[k] for k in archive.files}
            header = json.loads(arrays["header"].tobytes())
        except (ValueError, KeyError, OSError) as err:
            raise InvalidInput(f"not a loopml reference summary: {err}") from err
        if header.get("format") != FORMAT:
            raise InvalidInput(f"unsupported reference summary format {header.get('format')!r}")
        columns = tuple(_restore(d, arrays) for d in header["columns"])
        return cls(columns, int(header["rows"]), int(header["points"]))


def _fit_numeric(name: str, values: NDArray[np.float64], points: int) -> NumericSummary:
    nulls = int(np.isnan(values).sum())
    data = np.sort(values[~np.isnan(values)]) if nulls else np.sort(values)
    n = len(data)
    if n == 0:
        empty = np.empty(0)
        return NumericSummary(
            name, 0, nulls, empty, empty, empty, empty, np.ones(1), empty, np.zeros(0),
            float("nan"), float("nan"), float("nan"), float("nan"),
        )  # fmt: skip
    positions = np.unique(np.linspace(0, n - 1, min(points, n)).round().astype(np.int64))
    knots = np.unique(data[positions])
    cdf_left = np.searchsorted(data, knots, "left") / n
    cdf_right = np.searchsorted(data, knots, "right") / n
    psi_edges = np.unique(data[(np.arange(1, PSI_BINS) * n) // PSI_BINS])
    psi_ref = np.diff(np.concatenate([[0], np.searchsorted(data, psi_edges, "right"), [n]])) / n
    hist_edges = _hist_edges(data)
    hist_ref = bin_shares(data, hist_edges)
    return NumericSummary(
        name=name,
        count=n,
        nulls=nulls,
        knots=knots,
        cdf_left=cdf_left,
        cdf_right=cdf_right,
        psi_edges=psi_edges,
        psi_ref=psi_ref,
        hist_edges=hist_edges,
        hist_ref=hist_ref,
        mean=float(data.mean()),
        std=float(data.std()),
        minimum=float(data[0]),
        maximum=float(data[-1]),
        is_integer=bool(np.all(np.mod(knots, 1) == 0)),
    )


def _hist_edges(data: NDArray[np.float64]) -> NDArray[np.float64]:
    n = len(data)
    low, high = data[int(0.005 * (n - 1))], data[int(0.995 * (n - 1))]
    if high <= low:
        low, high = data[0], data[-1]
    if high <= low:
        return np.array([low - 0.5, low + 0.5])
    return np.linspace(low, high, HIST_BINS + 1)


def bin_shares(sorted_values: NDArray[np.float64], edges: NDArray[np.float64]) -> NDArray[Any]:
    """Shares of sorted values below, inside each bin of, and above ``edges``."""
    n = max(len(sorted_values), 1)
    cuts = np.searchsorted(sorted_values, edges, "left")
    cuts[-1] = np.searchsorted(sorted_values, edges[-1], "right")
    counts = np.diff(np.concatenate([[0], cuts, [len(sorted_values)]]))
    return counts / n


def _fit_categorical(name: str, series: Any) -> CategoricalSummary:
    labels, counts, nulls = frames.category_counts(series)
    uniques = np.array(labels, dtype=object)
    order = np.lexsort((uniques.astype(str), -counts))  # most frequent first, ties by label
    categories = tuple(str(u) for u in uniques[order])
    return CategoricalSummary(name, int(counts.sum()), nulls, categories, counts[order])


def _describe(i: int, col: ColumnSummary, arrays: dict[str, NDArray[Any]]) -> dict[str, Any]:
    base: dict[str, Any] = {"name": col.name, "kind": col.kind, "position": i}
    base.update(count=col.count, nulls=col.nulls)
    if isinstance(col, CategoricalSummary):
        base["categories"] = list(col.categories)
        arrays[f"{i}.counts"] = col.counts
        return base
    for attr in _NUMERIC_ARRAYS:
        arrays[f"{i}.{attr}"] = getattr(col, attr)
    base.update(
        mean=col.mean, std=col.std, minimum=col.minimum, maximum=col.maximum,
        is_integer=col.is_integer,
    )  # fmt: skip
    return base


def _restore(d: Mapping[str, Any], arrays: Mapping[str, NDArray[Any]]) -> ColumnSummary:
    prefix = str(d["position"])
    if d["kind"] == "categorical":
        return CategoricalSummary(
            d["name"], d["count"], d["nulls"], tuple(d["categories"]), arrays[f"{prefix}.counts"]
        )
    get = {a: arrays[f"{prefix}.{a}"] for a in _NUMERIC_ARRAYS}
    return NumericSummary(
        name=d["name"], count=d["count"], nulls=d["nulls"], **get,
        mean=d["mean"], std=d["std"], minimum=d["minimum"], maximum=d["maximum"],
        is_integer=d["is_integer"],
    )  # fmt: skip


_NUMERIC_ARRAYS = (
    "knots", "cdf_left", "cdf_right", "psi_edges", "psi_ref", "hist_edges", "hist_ref",
)  # fmt: skip

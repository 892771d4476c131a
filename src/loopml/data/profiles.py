"""Dataset profiles: per-column statistics, frozen and JSON-ready.

A profile is what a dataset version remembers about its content: types, null counts,
ranges, moments, quantiles, a histogram and the most frequent values. Diffs, inferred
schemas and monitoring reference distributions are computed from profiles alone.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import Any, Literal

from loopml.errors import InvalidInput, NotFound

Kind = Literal["numeric", "boolean", "datetime", "string", "categorical", "other"]

#: Quantiles every numeric and datetime column profile holds.
QUANTILES = (0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99)

Scalar = int | float | str | bool | None


@dataclass(frozen=True, slots=True)
class ValueCount:
    """One frequent value and how many rows hold it."""

    value: Scalar
    count: int


@dataclass(frozen=True, slots=True)
class Histogram:
    """Equal-width bins over the finite values: ``len(edges) == len(counts) + 1``."""

    edges: tuple[float, ...]
    counts: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ColumnProfile:
    """Statistics of one column.

    Numeric and datetime columns have ``min``/``max``/``quantiles`` (datetimes as ISO
    strings); numeric ones also ``mean``, ``std``, ``zeros``, ``infinite`` and a
    ``histogram``. String columns have length statistics. ``top_values`` holds the most
    frequent values of string, categorical and boolean columns, and of numeric columns
    with few distinct values.
    """

    name: str
    type: str
    kind: Kind
    count: int
    null_count: int
    distinct_count: int | None = None
    min: Scalar = None
    max: Scalar = None
    mean: float | None = None
    std: float | None = None
    zeros: int | None = None
    infinite: int | None = None
    quantiles: dict[str, Scalar] = field(default_factory=dict)
    histogram: Histogram | None = None
    top_values: tuple[ValueCount, ...] = ()
    min_length: int | None = None
    max_length: int | None = None
    mean_length: float | None = None

    @property
    def num_rows(self) -> int:
        """Rows in the column, nulls included."""
        return self.count + self.null_count

    @property
    def null_fraction(self) -> float:
        """Share of rows that are null (0 for an empty column)."""
        return self.null_count / self.num_rows if self.num_rows else 0.0

    @property
    def is_unique(self) -> bool:
        """Whether every non-null value is distinct."""
        return self.distinct_count is not None and self.distinct_count == self.count

    def quantile(self, q: float) -> Scalar:
        """Return the stored quantile ``q`` (one of :data:`QUANTILES`)."""
        key = quantile_key(q)
        if key not in self.quantiles:
            raise InvalidInput(f"quantile {q} is not profiled; use one of {list(QUANTILES)}")
        return self.quantiles[key]

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``from_dict`` reads it back)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        out["histogram"] = (
            None
            if self.histogram is None
            else {"edges": list(self.histogram.edges), "counts": list(self.histogram.counts)}
        )
        out["top_values"] = [{"value": v.value, "count": v.count} for v in self.top_values]
        out["quantiles"] = dict(self.quantiles)
        out["null_fraction"] = self.null_fraction
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ColumnProfile:
        """Build a column profile from :meth:`to_dict` output."""
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        hist = values.get("histogram")
        values["histogram"] = (
            None if hist is None else Histogram(tuple(hist["edges"]), tuple(hist["counts"]))
        )
        values["top_values"] = tuple(
            ValueCount(item["value"], int(item["count"])) for item in values.get("top_values", ())
        )
        values["quantiles"] = dict(values.get("quantiles") or {})
        return cls(**values)


@dataclass(frozen=True, slots=True)
class DatasetProfile:
    """Statistics of a whole table: its size and one :class:`ColumnProfile` per column.

    Example:
        >>> import pandas as pd
        >>> from loopml.data import profile
        >>> p = profile(pd.DataFrame({"age": [31, 45, None]}))
        >>> p.num_rows, p["age"].null_count, p["age"].max
        (3, 1, 45.0)
    """

    num_rows: int
    columns: tuple[ColumnProfile, ...]

    @property
    def num_columns(self) -> int:
        """Number of columns."""
        return len(self.columns)

    @property
    def column_names(self) -> list[str]:
        """Column names in order."""
        return [c.name for c in self.columns]

    def __getitem__(self, name: str) -> ColumnProfile:
        for column in self.columns:
            if column.name == name:
                return column
        raise NotFound(f"no column {name!r} in the profile; columns: {self.column_names}")

    def __contains__(self, name: object) -> bool:
        return any(c.name == name for c in self.columns)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (``from_dict`` reads it back)."""
        return {
            "num_rows": self.num_rows,
            "num_columns": self.num_columns,
            "columns": [c.to_dict() for c in self.columns],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DatasetProfile:
        """Build a profile from :meth:`to_dict` output."""
        columns = tuple(ColumnProfile.from_dict(c) for c in data["columns"])
        return cls(int(data["num_rows"]), columns)

    def to_frame(self) -> Any:
        """One row per column with the headline statistics, as a pandas DataFrame."""
        import pandas as pd

        rows = []
        for c in self.columns:
            rows.append(
                {
                    "column": c.name,
                    "type": c.type,
                    "kind": c.kind,
                    "nulls": c.null_count,
                    "null_fraction": c.null_fraction,
                    "distinct": c.distinct_count,
                    "min": c.min,
                    "max": c.max,
                    "mean": c.mean,
                    "std": c.std,
                    "median": c.quantiles.get("0.5"),
                }
            )
        return pd.DataFrame(rows)


def quantile_key(q: float) -> str:
    """The key of quantile ``q`` in :attr:`ColumnProfile.quantiles` (``0.5`` -> ``"0.5"``)."""
    return repr(float(q))

"""Compute profiles with Arrow compute kernels and numpy: whole columns at a time, no row loops."""

from __future__ import annotations

from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loopml.data.digest import column_type
from loopml.data.profiles import (
    QUANTILES,
    ColumnProfile,
    DatasetProfile,
    Histogram,
    Kind,
    ValueCount,
    quantile_key,
)
from loopml.data.sources import to_table

#: Numeric columns with at most this many distinct values also get ``top_values``.
FEW_DISTINCT = 20


def profile(data: Any, *, top_k: int = 10, bins: int = 20) -> DatasetProfile:
    """Profile a DataFrame, Arrow table, or parquet/CSV file or folder.

    Args:
        data: what to profile.
        top_k: how many of the most frequent values to keep per column.
        bins: histogram bins of numeric columns.
    """
    table, _ = to_table(data)
    return profile_table(table, top_k=top_k, bins=bins)


def profile_table(table: pa.Table, *, top_k: int = 10, bins: int = 20) -> DatasetProfile:
    """Profile an Arrow table (see :func:`profile`)."""
    columns = tuple(
        profile_column(name, column, top_k=top_k, bins=bins)
        for name, column in zip(table.column_names, table.columns, strict=True)
    )
    return DatasetProfile(table.num_rows, columns)


def column_kind(data_type: pa.DataType) -> Kind:
    """Classify an Arrow type into the profile kinds."""
    if pa.types.is_dictionary(data_type):
        return "categorical"
    if pa.types.is_boolean(data_type):
        return "boolean"
    if pa.types.is_integer(data_type) or pa.types.is_floating(data_type):
        return "numeric"
    if pa.types.is_decimal(data_type):
        return "numeric"
    if pa.types.is_timestamp(data_type) or pa.types.is_date(data_type):
        return "datetime"
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_string_view(data_type):
        return "string"
    return "other"


def profile_column(
    name: str, column: pa.ChunkedArray, *, top_k: int = 10, bins: int = 20
) -> ColumnProfile:
    """Profile one column."""
    kind = column_kind(column.type)
    base: dict[str, Any] = {
        "name": name,
        "type": column_type(column),
        "kind": kind,
        "count": len(column) - column.null_count,
        "null_count": column.null_count,
    }
    if kind == "categorical":
        column = column.cast(column.type.value_type)
    if kind == "other":
        return ColumnProfile(**base)
    if kind == "numeric":
        base.update(_numeric(column, bins))
    elif kind == "datetime":
        base.update(_datetime(column))
    else:
        base["distinct_count"] = pc.count_distinct(column).as_py()
        base["top_values"] = _top_values(column, top_k)
        if kind == "string" or column_kind(column.type) == "string":
            base.update(_lengths(column))
        if kind == "boolean" and base["count"]:
            base["mean"] = float(pc.mean(column.cast(pa.float64())).as_py())
    return ColumnProfile(**base)


def _numeric(column: pa.ChunkedArray, bins: int) -> dict[str, Any]:
    """Statistics from one sort of the non-null values (numpy sorts 1M floats in ~10 ms)."""
    values = column.drop_null()
    if pa.types.is_decimal(values.type):
        values = values.cast(pa.float64())
    ordered = np.sort(values.to_numpy())
    out: dict[str, Any] = {"distinct_count": _distinct_sorted(ordered), "zeros": 0, "infinite": 0}
    if ordered.size == 0:
        return out
    finite = ordered
    if ordered.dtype.kind == "f":
        low_end = int(np.searchsorted(ordered, -np.inf, side="right"))
        high_end = int(np.searchsorted(ordered, np.inf, side="left"))
        finite = ordered[low_end:high_end]
        infinite = low_end + int(np.count_nonzero(ordered[high_end:] == np.inf))
        out["infinite"] = infinite
    out["zeros"] = int(np.count_nonzero(finite == 0))
    if out["distinct_count"] <= FEW_DISTINCT:
        out["top_values"] = _top_sorted(ordered)
    if finite.size == 0:
        return out
    as_float = finite.astype(np.float64, copy=False)
    is_int = ordered.dtype.kind in "iu"
    out["min"] = finite[0].item() if is_int else float(finite[0])
    out["max"] = finite[-1].item() if is_int else float(finite[-1])
    out["mean"] = float(as_float.mean())
    out["std"] = float(as_float.std(ddof=1)) if finite.size > 1 else None
    points = _quantiles_sorted(as_float)
    out["quantiles"] = {quantile_key(q): float(v) for q, v in zip(QUANTILES, points, strict=True)}
    counts, edges = np.histogram(as_float, bins=bins)
    out["histogram"] = Histogram(tuple(float(e) for e in edges), tuple(int(c) for c in counts))
    return out


def _distinct_sorted(ordered: np.ndarray[Any, Any]) -> int:
    """Distinct values of a sorted array (every NaN counts as one value)."""
    if ordered.size == 0:
        return 0
    if ordered.dtype.kind == "f":
        nan = np.isnan(ordered)
        if nan.any():
            return _distinct_sorted(ordered[~nan]) + 1
    return int(np.count_nonzero(ordered[1:] != ordered[:-1])) + 1


def _quantiles_sorted(ordered: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """numpy's default (linear) quantiles of an already sorted array, without re-sorting."""
    position = np.asarray(QUANTILES) * (ordered.size - 1)
    below = np.floor(position).astype(np.int64)
    above = np.minimum(below + 1, ordered.size - 1)
    weight = position - below
    result: np.ndarray[Any, Any] = ordered[below] * (1 - weight) + ordered[above] * weight
    return result


def _top_sorted(ordered: np.ndarray[Any, Any]) -> tuple[ValueCount, ...]:
    values, counts = np.unique(ordered, return_counts=True)
    order = np.lexsort((values, -counts))
    return tuple(ValueCount(_plain(values[i].item()), int(counts[i])) for i in order[:FEW_DISTINCT])


def _plain(value: Any) -> Any:
    """JSON-ready scalar: non-finite floats become the strings ``inf``, ``-inf``, ``nan``."""
    if isinstance(value, float) and not np.isfinite(value):
        return str(value)
    return value


def _datetime(column: pa.ChunkedArray) -> dict[str, Any]:
    values = column.drop_null()
    if len(values) == 0:
        return {"distinct_count": 0}
    is_date = pa.types.is_date(values.type)
    unit = ("D" if pa.types.is_date32(values.type) else "ms") if is_date else values.type.unit
    ticks = values.cast(pa.int32() if pa.types.is_date32(values.type) else pa.int64())
    ordered = np.sort(np.asarray(ticks.to_numpy(), dtype=np.int64))
    points = ordered[np.round(np.asarray(QUANTILES) * (ordered.size - 1)).astype(np.int64)]
    suffix = "" if is_date or not values.type.tz else "+00:00"

    per_second = {"s": 1, "ms": 10**3, "us": 10**6, "ns": 10**9}.get(unit, 0)

    def iso(tick: Any) -> str:
        stamp = np.datetime64(int(tick), unit)  # type: ignore[arg-type]
        if per_second and int(tick) % per_second == 0:
            stamp = stamp.astype("datetime64[s]")  # whole seconds print without a fraction
        return f"{stamp}{suffix}"

    return {
        "distinct_count": _distinct_sorted(ordered),
        "min": iso(ordered[0]),
        "max": iso(ordered[-1]),
        "quantiles": {quantile_key(q): iso(v) for q, v in zip(QUANTILES, points, strict=True)},
    }


def _lengths(column: pa.ChunkedArray) -> dict[str, Any]:
    values = column.drop_null()
    if len(values) == 0:
        return {}
    lengths = pc.utf8_length(values)
    low, high = pc.min_max(lengths).values()
    return {
        "min_length": int(low.as_py()),
        "max_length": int(high.as_py()),
        "mean_length": float(pc.mean(lengths).as_py()),
    }


def _top_values(column: pa.ChunkedArray, k: int) -> tuple[ValueCount, ...]:
    counted = pc.value_counts(column.drop_null())
    if len(counted) == 0:
        return ()
    table = pa.table({"values": counted.field("values"), "counts": counted.field("counts")})
    order = pc.sort_indices(table, sort_keys=[("counts", "descending"), ("values", "ascending")])
    top = table.take(order[:k])
    values = top.column("values").to_pylist()
    counts = top.column("counts").to_pylist()
    return tuple(ValueCount(v, int(c)) for v, c in zip(values, counts, strict=True))

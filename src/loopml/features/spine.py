"""Validate a spine (entity DataFrame) and reduce it to what the PIT join reads."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from loopml.features.errors import SpineError
from loopml.features.offline import KNOWN, ROW, TS

if TYPE_CHECKING:
    from collections.abc import Mapping


def timestamp_kind(spine: pd.DataFrame, column: str, what: str = "timestamp") -> str:
    """Return ``"aware"`` or ``"naive"`` for a spine datetime column.

    Raises:
        SpineError: the column is missing, not a datetime column, or has missing values.
    """
    if column not in spine.columns:
        found = [str(c) for c in spine.columns if pd.api.types.is_datetime64_any_dtype(spine[c])]
        raise SpineError(
            f"the spine has no {what} column {column!r}; pass {what}='<column>' "
            f"(datetime columns in the spine: {found})"
        )
    series = spine[column]
    if not pd.api.types.is_datetime64_any_dtype(series):
        raise SpineError(
            f"spine column {column!r} has dtype {series.dtype}, not datetime; convert it with "
            f"pd.to_datetime(spine[{column!r}], utc=True)"
        )
    missing = int(series.isna().sum())
    if missing:
        first = series.index[series.isna().to_numpy()][0]
        raise SpineError(
            f"spine column {column!r} has {missing} missing timestamp(s) (first at index "
            f"{first!r}); drop or fill them"
        )
    return "aware" if isinstance(series.dtype, pd.DatetimeTZDtype) else "naive"


def to_epoch_ns(series: pd.Series) -> np.ndarray:
    """Return int64 nanoseconds since the epoch (naive values are read as wall time)."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        series = series.dt.tz_convert("UTC").dt.tz_localize(None)
    values: np.ndarray = series.dt.as_unit("ns").to_numpy().astype("int64")
    return values


def cutoff_ns(value: object, kind: str) -> int:
    """Convert a known-time cutoff (datetime, Timestamp or ISO text) to epoch nanoseconds.

    Raises:
        SpineError: the value is not a time, or its awareness differs from the spine's.
    """
    try:
        stamp = pd.Timestamp(value)
    except (ValueError, TypeError) as err:
        raise SpineError(f"known_at={value!r} is neither a spine column nor a time") from err
    aware = stamp.tzinfo is not None
    if aware != (kind == "aware"):
        raise SpineError(
            f"known_at={value!r} is {'time-zone aware' if aware else 'naive'} but the spine "
            f"timestamps are {kind}; use the same kind for both"
        )
    if aware:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return int(stamp.as_unit("ns").value)


def check_keys(spine: pd.DataFrame, keys: Mapping[str, str], view: str) -> None:
    """Check that the spine has each key column with a matching type.

    Raises:
        SpineError: a key column is missing or holds the wrong kind of values.
    """
    for key, kind in keys.items():
        if key not in spine.columns:
            raise SpineError(
                f"the spine has no entity column {key!r}, which feature view {view!r} joins "
                f"on; spine columns: {[str(c) for c in spine.columns]}"
            )
        dtype = spine[key].dtype
        numeric = pd.api.types.is_integer_dtype(dtype)
        stringy = pd.api.types.is_string_dtype(dtype) or pd.api.types.is_object_dtype(dtype)
        if (kind == "int64" and not numeric) or (kind == "string" and not stringy):
            raise SpineError(
                f"spine column {key!r} has dtype {dtype}, but feature view {view!r} keys are "
                f"{kind}; convert the column (e.g. spine[{key!r}].astype("
                f"{'int' if kind == 'int64' else 'str'}))"
            )


def prepare(
    spine: pd.DataFrame, timestamp: str, keys: Mapping[str, str], known: str | None
) -> pd.DataFrame:
    """Return the frame the PIT join reads: row number, time in ns, keys, known time in ns."""
    columns: dict[str, object] = {
        ROW: np.arange(len(spine), dtype="int64"),
        TS: to_epoch_ns(spine[timestamp]),
    }
    for key in keys:
        columns[key] = spine[key].reset_index(drop=True)
    if known is not None:
        columns[KNOWN] = to_epoch_ns(spine[known])
    return pd.DataFrame(columns)


def now_ns() -> int:
    """Return the current time as epoch nanoseconds."""
    return int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000) * 1000

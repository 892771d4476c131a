"""Materialization: load the latest value per entity into the online store.

A window selects source rows; DuckDB reduces them to the latest row per entity (event
time, then created time); the rows are packed and written in one atomic batch that never
replaces a stored value by an older one. Reruns are therefore idempotent, and a failure at
any step leaves the online store as it was.

Incremental runs resume from a watermark per (view storage, online store): for views
with a created timestamp the window is over *write* time, so late backfills of old event
times still reach the online store; otherwise it is over event time.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loopml.features import keys as keycodec, packing
from loopml.features.offline import ViewJoin, view_subquery
from loopml.features.reading import quote

if TYPE_CHECKING:
    from loopml.features.codec import Codec

Mode = Literal["range", "incremental"]


@dataclass(frozen=True, slots=True)
class Window:
    """Which source rows a materialization reads (epoch microseconds, end exclusive).

    Attributes:
        start_us: lower bound (inclusive) or ``None`` for everything before ``end_us``.
        end_us: upper bound (exclusive) of the event time.
        on_created: whether ``start_us``..``end_us`` also bounds the created (write) time
            (incremental runs of views with a created timestamp).
    """

    start_us: int | None
    end_us: int
    on_created: bool = False


@dataclass(frozen=True, slots=True)
class Materialization:
    """The outcome of materializing one view.

    Attributes:
        view: the view name.
        version: the view version materialized.
        mode: ``"range"`` (explicit start/end) or ``"incremental"``.
        start: window start (epoch µs) or ``None``.
        end: window end (epoch µs, exclusive).
        entities: entities with a row in the window.
        written: entities whose online value changed (older incoming values are skipped).
        seconds: wall time.
        watermark: the view's watermark afterwards (epoch µs) or ``None``.
    """

    view: str
    version: int
    mode: str
    start: int | None
    end: int
    entities: int
    written: int
    seconds: float
    watermark: int | None


def incremental_window(watermark_us: int | None, now_us: int, has_created: bool) -> Window:
    """Return the window of an incremental run that resumes from ``watermark_us``."""
    return Window(watermark_us, now_us, on_created=has_created)


def next_watermark(
    current_us: int | None, window: Window, mode: Mode, has_created: bool
) -> int | None:
    """Return the watermark after a successful run over ``window``.

    Incremental runs move it to the window end. An explicit range moves it only when it
    covers everything up to the current watermark (so nothing is skipped), and never for
    views that materialize by write time.
    """
    if mode == "incremental":
        return window.end_us
    if has_created:
        return current_us
    covers = window.start_us is None or (current_us is not None and window.start_us <= current_us)
    if covers and (current_us is None or window.end_us > current_us):
        return window.end_us
    return current_us


def build_latest_sql(view: ViewJoin, window: Window) -> str:
    """Return SQL selecting the latest row per entity among the rows in ``window``.

    Columns: the keys, ``__lm_t`` (event time, ns), then ``__lm_f<i>`` per feature.
    """
    conditions = [f"{quote(k)} IS NOT NULL" for k in view.keys]
    conditions.append(f"__lm_t < {window.end_us * 1000}")
    if window.on_created:
        conditions.append(f"__lm_c < {window.end_us * 1000}")
    if window.start_us is not None:
        column = "__lm_c" if window.on_created else "__lm_t"
        conditions.append(f"{column} >= {window.start_us * 1000}")
    order = "__lm_t DESC" + (", __lm_c DESC" if view.created is not None else "")
    partition = ", ".join(quote(k) for k in view.keys)
    features = ", ".join(f"__lm_f{i}" for i in range(len(view.columns)))
    keys = ", ".join(quote(k) for k in view.keys)
    return (
        f"SELECT {keys}, __lm_t, {features} FROM ({view_subquery(view, 'none')}) "
        f"WHERE {' AND '.join(conditions)} "
        f"QUALIFY row_number() OVER (PARTITION BY {partition} ORDER BY {order}) = 1"
    )


def encode_table(
    table: pa.Table, key_columns: tuple[str, ...], types: tuple[str, ...], codec: Codec
) -> tuple[list[bytes], list[bytes], list[float]]:
    """Pack the rows of a :func:`build_latest_sql` result: (keys, values, event µs)."""
    keys = keycodec.encode_columns([table.column(k).to_pylist() for k in key_columns])
    event_us = table.column("__lm_t").to_numpy().astype("float64") / 1000.0
    columns, nulls, strings = [], [], []
    for i, kind in enumerate(types):
        column = table.column(f"__lm_f{i}")
        mask = column.is_null().to_numpy(zero_copy_only=False) if column.null_count else None
        nulls.append(mask)
        if kind == "string":
            strings.append(column.to_pylist())
            columns.append(np.zeros(0))
            continue
        strings.append(None)
        columns.append(_numeric(column, kind))
    values = packing.encode_batch(codec, event_us, columns, nulls, strings)
    return keys, values, event_us.tolist()


def _numeric(column: pa.ChunkedArray, kind: str) -> np.ndarray:
    if kind == "timestamp":
        column = pc.cast(column, pa.timestamp("us", tz=getattr(column.type, "tz", None)))
        column = pc.cast(column, pa.int64())
    if not kind.startswith("float") and column.null_count:
        column = pc.fill_null(column, pa.scalar(0, type=column.type) if kind != "bool" else False)
    values: np.ndarray = column.to_numpy(zero_copy_only=False)
    return values

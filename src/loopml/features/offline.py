"""Point-in-time correct retrieval: a pure SQL builder and one DuckDB executor.

For each spine row (entity key, time ``t``) and each view, the builder picks the source row
of that key with the greatest event time ``<= t`` (ties: the greatest created timestamp),
and returns its features when the row is within the view's TTL (``t - event <= ttl``),
null otherwise. It is one set-based statement: an ``ASOF LEFT JOIN`` per view.

With a *known time* (when the caller only wants what had been written by then) a row also
needs ``created <= known``. A single cutoff is a filter before the ASOF join; a known time
per spine row is a range join reduced with ``arg_max`` per spine row.

All times are compared as int64 nanoseconds since the epoch (``__lm_ts`` in the spine),
so time zones and precisions never meet inside the join.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from loopml.features.reading import quote
from loopml.features.types import is_aware

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb
    import pandas as pd
    import pyarrow as pa

SPINE = "__lm_spine"
ROW = "__lm_row"
TS = "__lm_ts"
KNOWN = "__lm_known"
_MIN = -9223372036854775808
_MAX = 9223372036854775807

KnownMode = Literal["none", "cutoff", "column"]


@dataclass(frozen=True, slots=True)
class ViewJoin:
    """One view to join onto the spine.

    Attributes:
        relation: SQL ``FROM`` expression of the view's source.
        keys: entity key columns (named the same in the spine and the source).
        timestamp: event-time column and its DuckDB type.
        created: created-timestamp column and its DuckDB type, if the view has one.
        ttl_ns: time to live in nanoseconds, or ``None``.
        columns: ``(source column, cast type or None)`` of each requested feature.
    """

    relation: str
    keys: tuple[str, ...]
    timestamp: tuple[str, str]
    created: tuple[str, str] | None
    ttl_ns: int | None
    columns: tuple[tuple[str, str | None], ...]


def epoch_ns(column: str, duckdb_type: str) -> str:
    """Return SQL computing int64 epoch nanoseconds of a timestamp or date column."""
    if is_aware(duckdb_type):
        return f"epoch_ns({quote(column)})"
    return f"epoch_ns(CAST({quote(column)} AS TIMESTAMP_NS))"


def view_subquery(view: ViewJoin, known: KnownMode, cutoff_ns: int | None = None) -> str:
    """Return the ``SELECT`` reading one view's keys, times and features from its source."""
    parts = [quote(k) for k in view.keys]
    parts.append(f"{epoch_ns(*view.timestamp)} AS __lm_t")
    conditions = []
    if view.created is not None:
        created = epoch_ns(*view.created)
        if known == "none":
            parts.append(f"coalesce({created}, {_MIN}) AS __lm_c")
        else:
            parts.append(f"{created} AS __lm_c")
        if known == "cutoff":
            conditions.append(f"{created} <= {int(cutoff_ns or 0)}")
        elif known == "column":
            conditions.append(f"{created} IS NOT NULL")
    for i, (column, cast) in enumerate(view.columns):
        value = quote(column) if cast is None else f"CAST({quote(column)} AS {cast})"
        parts.append(f"{value} AS __lm_f{i}")
    where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
    return f"SELECT {', '.join(parts)} FROM {view.relation}{where}"


def build_pit_sql(
    views: Sequence[ViewJoin], known: KnownMode = "none", cutoff_ns: int | None = None
) -> str:
    """Return one SQL statement joining every view onto the spine, point in time.

    The statement reads the relation ``__lm_spine`` (columns ``__lm_row``, ``__lm_ts``, the
    key columns and, for ``known="column"``, ``__lm_known``) and returns ``__lm_row`` then
    one column ``__lm_o<n>`` per requested feature, in view order, sorted by ``__lm_row``.

    Args:
        views: the views to join.
        known: ``"none"`` (everything in the source), ``"cutoff"`` (only rows created at or
            before ``cutoff_ns``) or ``"column"`` (created at or before each row's
            ``__lm_known``).
        cutoff_ns: the cutoff for ``known="cutoff"``.
    """
    if known != "none" and any(v.created is None for v in views):
        raise ValueError("known-time retrieval needs a created timestamp on every view")
    selects = [f"s.{ROW}"]
    joins = []
    out = 0
    for n, view in enumerate(views):
        alias = f"v{n}"
        sub = view_subquery(view, known, cutoff_ns)
        if known == "column":
            joins.append(_range_join(alias, view, sub))
            values = [
                f"struct_extract({alias}.__lm_v, '__lm_f{i}')" for i in range(len(view.columns))
            ]
            fresh = None  # the TTL is part of the range condition
        else:
            joins.append(_asof_join(alias, view, sub))
            values = [f"{alias}.__lm_f{i}" for i in range(len(view.columns))]
            fresh = None if view.ttl_ns is None else f"{alias}.__lm_t >= s.{TS} - {view.ttl_ns}"
        for value in values:
            expr = value if fresh is None else f"CASE WHEN {fresh} THEN {value} END"
            selects.append(f"{expr} AS __lm_o{out}")
            out += 1
    return (
        f"SELECT {', '.join(selects)} FROM {SPINE} AS s " + " ".join(joins) + f" ORDER BY s.{ROW}"
    )


def _key_match(alias: str, keys: Sequence[str]) -> str:
    return " AND ".join(f"s.{quote(k)} = {alias}.{quote(k)}" for k in keys)


def _asof_join(alias: str, view: ViewJoin, sub: str) -> str:
    if view.created is None:
        inequality = f"s.{TS} >= {alias}.__lm_t"
    else:
        # Equal event times: the row written last wins.
        inequality = f"(s.{TS}, {_MAX}) >= ({alias}.__lm_t, {alias}.__lm_c)"
    return f"ASOF LEFT JOIN ({sub}) AS {alias} ON {_key_match(alias, view.keys)} AND {inequality}"


def _range_join(alias: str, view: ViewJoin, sub: str) -> str:
    fields = ", ".join(f"'__lm_f{i}': r.__lm_f{i}" for i in range(len(view.columns)))
    match = " AND ".join(f"s.{quote(k)} = r.{quote(k)}" for k in view.keys)
    ttl = "" if view.ttl_ns is None else f" AND r.__lm_t >= s.{TS} - {view.ttl_ns}"
    inner = (
        f"SELECT s.{ROW} AS __lm_r, arg_max({{{fields}}}, (r.__lm_t, r.__lm_c)) AS __lm_v "
        f"FROM {SPINE} AS s JOIN ({sub}) AS r ON {match} AND r.__lm_t <= s.{TS} "
        f"AND r.__lm_c <= s.{KNOWN}{ttl} GROUP BY s.{ROW}"
    )
    return f"LEFT JOIN ({inner}) AS {alias} ON {alias}.__lm_r = s.{ROW}"


def execute(con: duckdb.DuckDBPyConnection, sql: str, spine: pd.DataFrame) -> pa.Table:
    """Run a statement from :func:`build_pit_sql` with ``spine`` as ``__lm_spine``."""
    con.register(SPINE, spine)
    try:
        return con.sql(sql).to_arrow_table()
    finally:
        con.unregister(SPINE)

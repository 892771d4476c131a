"""Historical (offline) retrieval: validate the spine, open the sources, run the PIT join."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from loopml.features import offline, spine as sp
from loopml.features.errors import SpineError
from loopml.features.reading import connect, describe, open_relation
from loopml.features.schema import check_schema
from loopml.features.types import DUCKDB_TYPE, needs_cast, timestamp_kind

if TYPE_CHECKING:
    from collections.abc import Sequence

    import duckdb
    import pyarrow as pa

    from loopml.features.reading import SourceContext
    from loopml.features.references import Selection
    from loopml.features.registry import ViewVersion

LINEAGE_ATTR = "loopml.features"


def view_join(
    con: duckdb.DuckDBPyConnection,
    view: ViewVersion,
    features: Sequence[str],
    ctx: SourceContext,
    resolved: dict[str, str] | None = None,
) -> offline.ViewJoin:
    """Open a view's source on ``con``, check its schema, and describe the join.

    ``resolved`` receives ``{view: "dataset/version"}`` for dataset sources.
    """
    definition = view.view
    stamps = [
        definition.timestamp,
        *([definition.created_timestamp] if definition.created_timestamp else []),
    ]
    relation = open_relation(con, definition.source, ctx, view.name, stamps, resolved)
    return join_over(con, view, features, relation)


def join_over(
    con: duckdb.DuckDBPyConnection, view: ViewVersion, features: Sequence[str], relation: str
) -> offline.ViewJoin:
    """Describe the join of ``view`` read from ``relation`` (checked against its schema)."""
    definition = view.view
    current = describe(con, relation, view.name)
    check_schema(definition, view.schema, current)
    types = view.feature_types
    columns = tuple(
        (f, DUCKDB_TYPE[types[f]] if needs_cast(current[f], types[f]) else None) for f in features
    )
    created = definition.created_timestamp
    ttl = definition.ttl_us
    return offline.ViewJoin(
        relation=relation,
        keys=tuple(definition.entity),
        timestamp=(definition.timestamp, current[definition.timestamp]),
        created=None if created is None else (created, current[created]),
        ttl_ns=None if ttl is None else ttl * 1000,
        columns=columns,
    )


def get_historical_features(
    ctx: SourceContext,
    selections: Sequence[Selection],
    spine: pd.DataFrame,
    timestamp: str,
    known_at: object = None,
) -> pd.DataFrame:
    """Return ``spine`` with the selected features joined point in time (see FeatureStore)."""
    if not isinstance(spine, pd.DataFrame):
        raise SpineError(f"the spine must be a pandas DataFrame, not {type(spine).__name__}")
    kind = sp.timestamp_kind(spine, timestamp)
    known, known_column, cutoff = _known(spine, known_at, kind)
    keys: dict[str, str] = {}
    for selection in selections:
        _check_view(spine, selection.view, timestamp, kind, known_column, known)
        keys.update(selection.view.keys)
    _check_outputs(spine, selections)
    con = connect()
    resolved: dict[str, str] = {}
    try:
        joins = [view_join(con, s.view, s.features, ctx, resolved) for s in selections]
        sql = offline.build_pit_sql(joins, known, cutoff)
        frame = sp.prepare(spine, timestamp, keys, known_column)
        table = offline.execute(con, sql, frame)
    finally:
        con.close()
    result = _assemble(spine, selections, table)
    result.attrs[LINEAGE_ATTR] = lineage(selections, resolved, timestamp, known_at)
    return result


def _known(
    spine: pd.DataFrame, known_at: object, kind: str
) -> tuple[offline.KnownMode, str | None, int | None]:
    if known_at is None:
        return "none", None, None
    if isinstance(known_at, str) and known_at in spine.columns:
        column_kind = sp.timestamp_kind(spine, known_at, "known_at")
        if column_kind != kind:
            raise SpineError(
                f"spine columns known_at={known_at!r} ({column_kind}) and the timestamp column "
                f"({kind}) mix naive and time-zone aware times; use the same kind for both"
            )
        return "column", known_at, None
    return "cutoff", None, sp.cutoff_ns(known_at, kind)


def _check_view(
    spine: pd.DataFrame,
    view: ViewVersion,
    timestamp: str,
    kind: str,
    known_column: str | None,
    known: str,
) -> None:
    sp.check_keys(spine, view.keys, view.name)
    definition = view.view
    view_kind = timestamp_kind(view.schema[definition.timestamp], definition.timestamp)
    if view_kind != kind:
        raise SpineError(
            f"spine column {timestamp!r} holds {kind} timestamps but feature view {view.name!r} "
            f"has {view_kind} event times (column {definition.timestamp!r}); make both "
            "time-zone aware (e.g. pd.to_datetime(col, utc=True)) or both naive"
        )
    if known != "none" and definition.created_timestamp is None:
        raise SpineError(
            f"known_at needs a created timestamp, and feature view {view.name!r} has none; "
            "declare created_timestamp='<column>' on the view or drop known_at"
        )


def _check_outputs(spine: pd.DataFrame, selections: Sequence[Selection]) -> None:
    for selection in selections:
        for out in selection.outputs:
            if out in spine.columns:
                raise SpineError(
                    f"feature {out!r} would overwrite the spine column of the same name; "
                    "rename the spine column or pass full_names=True"
                )


def _assemble(
    spine: pd.DataFrame, selections: Sequence[Selection], table: pa.Table
) -> pd.DataFrame:
    result = spine.copy()
    n = 0
    for selection in selections:
        types = selection.view.feature_types
        for feature, out in zip(selection.features, selection.outputs, strict=True):
            result[out] = _column(table.column(f"__lm_o{n}"), types[feature])
            n += 1
    return result


def lineage(
    selections: Sequence[Selection], resolved: dict[str, str], timestamp: str, known_at: object
) -> dict[str, Any]:
    """Describe what a retrieval read: view versions, sources (dataset versions resolved)."""
    views = []
    for selection in selections:
        view = selection.view
        entry = {
            "view": view.name,
            "version": view.version,
            "digest": view.digest,
            "features": list(selection.features),
            "source": view.view.source.spec(),
        }
        if view.name in resolved:
            entry["dataset_version"] = resolved[view.name]
        views.append(entry)
    return {
        "views": views,
        "timestamp": timestamp,
        "known_at": None if known_at is None else str(known_at),
    }


def _column(column: pa.ChunkedArray, kind: str) -> Any:
    if kind.startswith("float"):
        return column.to_numpy(zero_copy_only=False)
    if kind in ("int64", "int32", "bool"):
        if column.null_count == 0:
            return column.to_numpy(zero_copy_only=False)
        dtype = {"int64": "Int64", "int32": "Int32", "bool": "boolean"}[kind]
        values = column.to_pandas(types_mapper={column.type: pd.api.types.pandas_dtype(dtype)}.get)
        return values.array
    series = column.to_pandas()
    return series.array if hasattr(series, "array") else np.asarray(series)

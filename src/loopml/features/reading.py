"""Open a feature view's source as a DuckDB relation, and describe its columns.

Files and snapshots are scanned in place by DuckDB (``read_parquet``/``read_csv``); SQL
sources run through SQLAlchemy and are handed to DuckDB as Arrow; dataset versions resolve
to their parquet snapshot.
"""

from __future__ import annotations

import itertools
import os
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

import duckdb

from loopml._utils.secrets import redact
from loopml.features.errors import SourceError
from loopml.features.sources import (
    BlobSource,
    DataFrameSource,
    DatasetSource,
    FileSource,
    Source,
    SqlSource,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from pathlib import Path

_COUNTER = itertools.count()


def quote(name: str) -> str:
    """Quote a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Quote a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


@dataclass(frozen=True, slots=True)
class SourceContext:
    """What reading a source needs from the surrounding store.

    Attributes:
        base_dir: folder that relative file paths are resolved against.
        blob_path: digest -> local path of a parquet snapshot in the artifact store.
        metadata_url: SQLAlchemy URL of the metadata database (for ``SqlSource(url=None)``).
        dataset_path: ``(name, version)`` -> (local parquet path, ``name/version`` lineage
            id) of a dataset version (the latest when ``version`` is ``None``), or ``None``
            when dataset versions are unavailable.
    """

    base_dir: Path
    blob_path: Callable[[str], Path]
    metadata_url: str
    dataset_path: Callable[[str, int | None], tuple[Path, str]] | None = None


def open_relation(
    con: duckdb.DuckDBPyConnection,
    source: Source,
    ctx: SourceContext,
    view: str,
    timestamps: Sequence[str] = (),
    resolved: dict[str, str] | None = None,
) -> str:
    """Return a SQL ``FROM`` expression that reads ``source`` on ``con``.

    Args:
        con: the DuckDB connection the query will run on.
        source: the view's source.
        ctx: paths and URLs of the store.
        view: the view name (for error messages).
        timestamps: columns to parse as datetimes (SQL sources only).
        resolved: receives ``{view: "name/version"}`` for a dataset source (the version
            actually read, for lineage).

    Raises:
        SourceError: the source cannot be found or read.
    """
    if isinstance(source, FileSource):
        return _file_relation(resolve_path(source.path, ctx.base_dir), source.format, view)
    if isinstance(source, BlobSource):
        return f"read_parquet({literal(str(ctx.blob_path(source.digest)))})"
    if isinstance(source, DataFrameSource):
        return _register(con, source.frame)
    if isinstance(source, DatasetSource):
        if ctx.dataset_path is None:
            raise SourceError(
                f"feature view {view!r} reads dataset {source.name!r}, but dataset versions "
                "are not available in this installation (loopml.data)"
            )
        path, node = ctx.dataset_path(source.name, source.version)
        if resolved is not None:
            resolved[view] = node
        return f"read_parquet({literal(str(path))})"
    return _register(con, _run_sql(source, ctx, view, timestamps))


def resolve_path(path: str, base_dir: Path) -> str:
    """Return ``path`` made absolute against ``base_dir`` (URLs and absolute paths unchanged)."""
    if "://" in path or os.path.isabs(path):
        return path
    return str(base_dir / path)


def _file_relation(path: str, file_format: str, view: str) -> str:
    if "://" not in path and not any(ch in path for ch in "*?["):
        if not os.path.exists(path):
            raise SourceError(
                f"feature view {view!r}: source {path!r} does not exist; check the path "
                "(relative paths are resolved against the project folder)"
            )
        if os.path.isdir(path):
            pattern = os.path.join(path, "**", "*.parquet")
            return f"read_parquet({literal(pattern)}, hive_partitioning = true)"
    if file_format == "csv":
        return f"read_csv({literal(path)}, auto_detect = true)"
    return f"read_parquet({literal(path)})"


def _register(con: duckdb.DuckDBPyConnection, frame: object) -> str:
    name = f"__lm_src_{next(_COUNTER)}"
    con.register(name, frame)
    return quote(name)


def _run_sql(source: SqlSource, ctx: SourceContext, view: str, timestamps: Sequence[str]) -> object:
    import pandas as pd
    from sqlalchemy import create_engine, exc as sa_exc, text

    url = os.path.expandvars(source.url) if source.url else ctx.metadata_url
    try:
        engine = create_engine(url)
    except (sa_exc.ArgumentError, ModuleNotFoundError) as err:
        raise SourceError(
            f"feature view {view!r}: cannot open database {redact(str(source.url))!r}: "
            f"{redact(str(err))}"
        ) from err
    try:
        with engine.connect() as conn:
            frame = pd.read_sql(text(source.query), conn)
    except (sa_exc.SQLAlchemyError, pd.errors.DatabaseError) as err:
        cause = err.__cause__ if isinstance(err.__cause__, sa_exc.SQLAlchemyError) else err
        raise SourceError(
            f"feature view {view!r}: the source query failed: {str(cause).splitlines()[0]}"
        ) from err
    finally:
        engine.dispose()
    for column in timestamps:
        if column not in frame.columns:
            continue
        values = frame[column]
        if pd.api.types.is_string_dtype(values) or pd.api.types.is_object_dtype(values):
            try:
                frame[column] = pd.to_datetime(values, format="ISO8601")
            except (ValueError, TypeError) as err:
                raise SourceError(
                    f"feature view {view!r}: column {column!r} of the source query holds "
                    f"values that are not ISO 8601 times ({err})"
                ) from err
    return frame


def describe(con: duckdb.DuckDBPyConnection, relation: str, view: str) -> dict[str, str]:
    """Return ``{column: DuckDB type}`` of a relation.

    Raises:
        SourceError: the relation cannot be read.
    """
    try:
        rows = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    except duckdb.Error as err:
        raise SourceError(f"feature view {view!r}: cannot read its source: {err}") from err
    return {str(row[0]): str(row[1]) for row in rows}


_SHARED: list[duckdb.DuckDBPyConnection] = []
_LOCK = threading.Lock()


def connect() -> duckdb.DuckDBPyConnection:
    """Return a new DuckDB connection (UTC time zone) to this process's in-memory database.

    Opening a database costs ~20 ms; a cursor on a shared one well under 1 ms. Views
    registered on a cursor are private to it, so concurrent calls do not see each other.
    """
    if not _SHARED:
        with _LOCK:
            if not _SHARED:
                _SHARED.append(duckdb.connect())
    con = _SHARED[0].cursor()
    con.execute("SET TimeZone = 'UTC'")
    return con

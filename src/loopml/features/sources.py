"""Where a feature view reads its rows: files, DataFrames, SQL queries, dataset versions.

These classes only *describe* a source (and turn into a JSON spec for the registry); reading
one into DuckDB is :mod:`loopml.features.reading`. Any of them may be passed as a view's
``source``; a plain path means :class:`FileSource` and a DataFrame :class:`DataFrameSource`.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from loopml._utils.hashing import sha256_bytes
from loopml.features.errors import InvalidDefinition

if TYPE_CHECKING:
    import pandas as pd

FileFormat = Literal["parquet", "csv"]


@dataclass(frozen=True, slots=True)
class FileSource:
    """A parquet file, a folder of parquet files (hive partitions allowed), a glob, or a CSV.

    Args:
        path: the file, folder or glob. A relative path is resolved against the project
            folder (the one holding ``loopml.yaml``; else the current folder) when read.
        format: ``"parquet"`` or ``"csv"`` (default: from the file extension; folders are
            parquet).

    Example:
        >>> FileSource("data/activity.parquet").format
        'parquet'
    """

    path: str
    format: FileFormat = "parquet"

    def __init__(self, path: str | os.PathLike[str], format: FileFormat | None = None) -> None:
        text = os.fspath(path)
        if not text:
            raise InvalidDefinition("FileSource needs a path; got an empty string")
        if format is None:
            format = "csv" if text.lower().endswith((".csv", ".csv.gz", ".tsv")) else "parquet"
        if format not in ("parquet", "csv"):
            raise InvalidDefinition(f"FileSource format {format!r} is unknown; use parquet or csv")
        object.__setattr__(self, "path", text)
        object.__setattr__(self, "format", format)

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {"type": "file", "path": self.path, "format": self.format}

    def describe(self) -> str:
        """Return a short human description."""
        return self.path


@dataclass(frozen=True, slots=True)
class SqlSource:
    """The rows of a SQL query on the metadata database or any SQLAlchemy database.

    Args:
        query: a ``SELECT`` statement.
        url: SQLAlchemy URL of the database (default: loopml's metadata database).
            ``${VAR}`` is replaced by the environment variable ``VAR`` when the query runs,
            so passwords need not be stored in the registry.

    Example:
        >>> SqlSource("SELECT customer_id, ts, spend FROM payments").url is None
        True
    """

    query: str
    url: str | None = None

    def __post_init__(self) -> None:
        if not self.query.strip():
            raise InvalidDefinition("SqlSource needs a query; got an empty string")

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {"type": "sql", "query": self.query, "url": self.url}

    def describe(self) -> str:
        """Return a short human description."""
        where = self.url or "metadata database"
        return f"SQL on {where}: {' '.join(self.query.split())[:60]}"


@dataclass(frozen=True, slots=True)
class DatasetSource:
    """A dataset version logged with ``lm.log_dataset`` (the latest one when no version).

    Example:
        >>> DatasetSource("activity", version=3).spec()
        {'type': 'dataset', 'name': 'activity', 'version': 3}
    """

    name: str
    version: int | None = None

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {"type": "dataset", "name": self.name, "version": self.version}

    def describe(self) -> str:
        """Return a short human description."""
        return f"dataset {self.name}" + (f" v{self.version}" if self.version else " (latest)")


@dataclass(frozen=True, slots=True)
class DataFrameSource:
    """An in-memory DataFrame, snapshotted as parquet into the artifact store on apply.

    Registering the view stores the frame content-addressed, so the registered view reads
    the same rows in any process (the CLI, the feature server) later.
    """

    frame: pd.DataFrame = field(compare=False, repr=False)
    _cache: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def parquet_bytes(self) -> bytes:
        """Return the frame as parquet bytes (computed once)."""
        if "bytes" not in self._cache:
            buffer = io.BytesIO()
            self.frame.to_parquet(buffer, index=False)
            self._cache["bytes"] = buffer.getvalue()
        data: bytes = self._cache["bytes"]
        return data

    def digest(self) -> str:
        """Return the sha256 digest of the parquet snapshot."""
        if "digest" not in self._cache:
            self._cache["digest"] = sha256_bytes(self.parquet_bytes())
        return str(self._cache["digest"])

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry (a blob digest)."""
        return {"type": "blob", "digest": self.digest()}

    def describe(self) -> str:
        """Return a short human description."""
        return f"DataFrame ({len(self.frame)} rows)"


@dataclass(frozen=True, slots=True)
class BlobSource:
    """A parquet snapshot in the artifact store (what a registered DataFrame source becomes)."""

    digest: str

    def spec(self) -> dict[str, Any]:
        """Return the JSON-ready description stored in the registry."""
        return {"type": "blob", "digest": self.digest}

    def describe(self) -> str:
        """Return a short human description."""
        return f"snapshot {self.digest[:12]}"


Source = FileSource | SqlSource | DatasetSource | DataFrameSource | BlobSource


def coerce_source(value: object) -> Source:
    """Turn what a user passed as ``source`` into a :data:`Source`.

    Raises:
        InvalidDefinition: ``value`` is none of the accepted kinds.
    """
    if isinstance(value, FileSource | SqlSource | DatasetSource | DataFrameSource | BlobSource):
        return value
    if isinstance(value, str | Path):
        return FileSource(value)
    if type(value).__name__ == "DataFrame" and hasattr(value, "to_parquet"):
        return DataFrameSource(value)
    raise InvalidDefinition(
        f"a feature view source must be a path, a DataFrame, lm.FileSource, lm.SqlSource or "
        f"lm.DatasetSource; got {type(value).__name__}"
    )


def source_from_spec(spec: dict[str, Any]) -> Source:
    """Rebuild a source from its registry spec."""
    kind = spec.get("type")
    if kind == "file":
        return FileSource(spec["path"], spec.get("format"))
    if kind == "sql":
        return SqlSource(spec["query"], spec.get("url"))
    if kind == "dataset":
        return DatasetSource(spec["name"], spec.get("version"))
    if kind == "blob":
        return BlobSource(spec["digest"])
    raise InvalidDefinition(f"unknown source type {kind!r} in the registry; upgrade loopml")

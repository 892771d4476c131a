"""Read what users log as a dataset into one Arrow table.

Sources: a pandas DataFrame, an Arrow table, a parquet or CSV file (``.csv``, ``.csv.gz``,
``.tsv``), or a folder of parquet or CSV files (read in sorted path order, hive-style
``key=value`` folders become columns).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.dataset as pads
import pyarrow.parquet as pq

from loopml.errors import InvalidInput

PARQUET_SUFFIXES = (".parquet", ".pq", ".parq")
CSV_SUFFIXES = (".csv", ".csv.gz", ".csv.bz2", ".tsv", ".tsv.gz")


def to_table(data: Any) -> tuple[pa.Table, str]:
    """Return ``data`` as an Arrow table and a short description of where it came from.

    Raises:
        InvalidInput: the source is of an unsupported kind, missing or empty.
    """
    if isinstance(data, pa.Table):
        return data, "arrow table"
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data]), "arrow record batch"
    if _is_dataframe(data):
        return from_pandas(data), "pandas DataFrame"
    if isinstance(data, str | os.PathLike):
        path = Path(data).expanduser()
        return read_path(path), str(path.resolve())
    raise InvalidInput(
        f"cannot log a dataset from a {type(data).__name__}; pass a pandas DataFrame, a "
        "pyarrow Table, or the path of a parquet/CSV file or folder"
    )


def _is_dataframe(data: Any) -> bool:
    return type(data).__name__ == "DataFrame" and hasattr(data, "to_parquet")


def from_pandas(frame: Any) -> pa.Table:
    """Convert a DataFrame to Arrow.

    An unnamed integer index (the default ``RangeIndex``, or what is left of it after
    filtering rows) is row numbering, not data, and is dropped; a named index, or one of
    another type (an unnamed ``DatetimeIndex`` for example), is kept as column(s).
    """
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise InvalidInput(f"expected a pandas DataFrame, got {type(frame).__name__}")
    bad = [c for c in frame.columns if not isinstance(c, str)]
    if bad:
        raise InvalidInput(
            f"column names must be strings; got {bad[:5]!r}. "
            "Rename them, e.g. frame.columns = frame.columns.map(str)"
        )
    index = frame.index
    unnamed = all(name is None for name in index.names)
    keep_index = not (unnamed and index.nlevels == 1 and pd.api.types.is_integer_dtype(index))
    try:
        return pa.Table.from_pandas(frame, preserve_index=keep_index)
    except (pa.ArrowInvalid, pa.ArrowTypeError) as err:
        raise InvalidInput(
            f"cannot convert the DataFrame to Arrow: {err}. Give each object column a "
            "single type (e.g. frame[col] = frame[col].astype(str))"
        ) from err


def read_path(path: Path) -> pa.Table:
    """Read a parquet/CSV file or a folder of them."""
    if path.is_dir():
        return _read_folder(path)
    if not path.is_file():
        raise InvalidInput(f"no file or folder at {path}; check the path")
    name = path.name.lower()
    if name.endswith(PARQUET_SUFFIXES):
        return pq.read_table(path)
    if name.endswith(CSV_SUFFIXES):
        return _read_csv(path)
    raise InvalidInput(
        f"cannot tell the format of {path}; name it *.parquet or *.csv (or *.tsv, *.csv.gz)"
    )


def _read_csv(path: Path) -> pa.Table:
    delimiter = "\t" if ".tsv" in path.name.lower() else ","
    try:
        return pacsv.read_csv(path, parse_options=pacsv.ParseOptions(delimiter=delimiter))
    except pa.ArrowInvalid as err:
        raise InvalidInput(f"cannot read CSV file {path}: {err}") from err


def _read_folder(folder: Path) -> pa.Table:
    files = sorted(p for p in folder.rglob("*") if p.is_file() and not _hidden(p, folder))
    parquet = [p for p in files if p.name.lower().endswith(PARQUET_SUFFIXES)]
    csv = [p for p in files if p.name.lower().endswith(CSV_SUFFIXES)]
    if parquet and csv:
        raise InvalidInput(f"{folder} holds both parquet and CSV files; keep one format")
    chosen, fmt = (parquet, "parquet") if parquet else (csv, "csv")
    if not chosen:
        raise InvalidInput(f"{folder} holds no parquet or CSV files")
    if fmt == "csv":
        return pa.concat_tables([_read_csv(p) for p in chosen], promote_options="permissive")
    dataset = pads.dataset(
        [str(p) for p in chosen],
        format="parquet",
        partitioning="hive",
        partition_base_dir=str(folder),
    )
    return dataset.to_table()


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith((".", "_")) for part in path.relative_to(root).parts)

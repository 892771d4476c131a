"""Append-only event streams (prediction log, feedback, feature history) as parquet files.

A stream is a folder of parquet files partitioned by UTC date of its time column::

    events/<stream>/date=2026-11-23/part-<epoch ms>-<random>.parquet

Writers append whole files atomically through the blob backend, so concurrent writers
never clash and readers never see half a file. Readers prune partitions by date, filter
rows by time and query with DuckDB. :meth:`EventLog.compact` merges the small files of a
day into one; a manifest written first makes the swap invisible to concurrent readers.

Serving writes the prediction log here and monitoring reads it, without either
importing the other.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
import uuid
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml._utils.clock import now_ms
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from loopml.store import Store
    from loopml.store.blob_backends import BlobBackend

_STREAM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*(/[A-Za-z0-9][A-Za-z0-9_.\-]*)*$")
_DATE = re.compile(r"/date=(\d{4}-\d{2}-\d{2})/")
_WRITTEN = re.compile(r"/part-(\d{13})-[0-9a-f]+\.parquet$")
TIME_TYPE = pa.timestamp("ms", tz="UTC")
#: rows may carry times up to this far after their file was written (clock skew, late time)
WRITE_SLACK_MS = 10 * 60 * 1000


class EventLog:
    """Time-partitioned parquet streams on a blob backend.

    Args:
        backend: where the files go (the artifact store's backend).
        prefix: folder of all streams inside the backend.

    Example:
        >>> from loopml.store.blob_backends import open_backend
        >>> log = EventLog(open_backend("memory://events-doc"))
        >>> _ = log.append("clicks", [{"time": 1_700_000_000_000, "user": "a"}])
        >>> log.read("clicks").num_rows
        1
    """

    def __init__(self, backend: BlobBackend, prefix: str = "events") -> None:
        self.backend = backend
        self.prefix = prefix.strip("/")

    @classmethod
    def from_store(cls, store: Store) -> EventLog:
        """Return the event log that lives in ``store``'s artifact backend."""
        return cls(store.blobs.backend)

    def __repr__(self) -> str:
        return f"EventLog({self.backend.url!r})"

    # ------------------------------------------------------------------ writing
    def append(self, stream: str, rows: Any, *, time_column: str = "time") -> list[str]:
        """Append rows (a pyarrow Table, pandas DataFrame or list of dicts) to ``stream``.

        The time column may hold datetimes (naive means UTC) or epoch milliseconds; it is
        stored as ``timestamp[ms, UTC]``. Rows are split into one file per UTC date.

        Returns:
            The keys of the files written (empty when ``rows`` is empty).

        Raises:
            InvalidInput: a bad stream name, or a missing or unreadable time column.
        """
        _check_stream(stream)
        table = _normalise_time(to_table(rows), time_column, stream)
        if table.num_rows == 0:
            return []
        keys = []
        for day, part in _by_day(table, time_column):
            name = f"part-{now_ms()}-{uuid.uuid4().hex[:12]}.parquet"
            key = f"{self._stream_dir(stream)}date={day}/{name}"
            self.backend.put_bytes(key, _parquet_bytes(part))
            keys.append(key)
        return keys

    # ------------------------------------------------------------------ reading
    def keys(
        self, stream: str, since: dt.datetime | None = None, until: dt.datetime | None = None
    ) -> list[str]:
        """Return the live parquet files of ``stream`` whose date may hold rows in the window."""
        _check_stream(stream)
        listed = list(self.backend.list(self._stream_dir(stream)))
        files = [k for k in listed if k.endswith(".parquet")]
        hidden: set[str] = set()
        present = set(files)
        for manifest in (k for k in listed if k.endswith(".compact.json")):
            body = json.loads(self.backend.get_bytes(manifest))
            if body["output"] in present:
                hidden.update(body["replaces"])
        low = _day(since) if since is not None else None
        high = _day(until) if until is not None else None
        # A file holds rows logged before it was written (its name starts with that time),
        # so files written well before ``since`` cannot hold rows of the window.
        oldest = None if since is None else int(_aware(since).timestamp() * 1000) - WRITE_SLACK_MS
        return [
            key for key in files
            if key not in hidden and _in_days(key, low, high) and _written_since(key, oldest)
        ]  # fmt: skip

    def read(
        self,
        stream: str,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        *,
        columns: Sequence[str] | None = None,
        time_column: str = "time",
    ) -> pa.Table:
        """Return the rows of ``stream`` with ``since <= time < until`` as one Arrow table.

        Files written with different columns are unified (missing columns become null).
        """
        tables = []
        window = (time_column, since, until) if since is not None or until is not None else None
        # a caching backend view (loopml.store.event_cache) knows the time span of files
        # it read before, so files with no row in the window need not be parsed again
        span_of = getattr(self.backend, "time_span", None)
        if since is None and until is None:
            span_of = None
        for key in self.keys(stream, since, until):
            if span_of is not None and not _may_hold(span_of(key, time_column), since, until):
                continue
            try:
                tables.append(self._read_file(key, columns, window))
            except FileNotFoundError:  # compacted away between listing and reading
                continue
        if not tables:
            return pa.table({time_column: pa.array([], type=TIME_TYPE)})
        table = pa.concat_tables(tables, promote_options="default")
        return _window(table, time_column, since, until)

    def frame(
        self,
        stream: str,
        since: dt.datetime | None = None,
        until: dt.datetime | None = None,
        **options: Any,
    ) -> Any:
        """Like :meth:`read`, as a pandas DataFrame."""
        return self.read(stream, since, until, **options).to_pandas()

    def query(self, sql: str, streams: Mapping[str, str | tuple[str, Any, Any]]) -> Any:
        """Run DuckDB SQL over streams and return a pandas DataFrame.

        Args:
            sql: a query naming each stream by its alias.
            streams: alias -> stream name, or alias -> ``(stream, since, until)``.

        Example:
            ``log.query("select count(*) n from p", {"p": "predictions/churn"})``
        """
        import duckdb

        connection = duckdb.connect()
        try:
            for alias, spec in streams.items():
                stream, since, until = (spec, None, None) if isinstance(spec, str) else spec
                connection.register(alias, self.read(stream, since, until))
            return connection.execute(sql).df()
        finally:
            connection.close()

    # ------------------------------------------------------------------ maintenance
    def compact(self, stream: str, day: dt.date) -> str | None:
        """Merge the files of one day of ``stream`` into one; return its key (or ``None``)."""
        folder = f"{self._stream_dir(stream)}date={day.isoformat()}/"
        keys = [k for k in self.keys(stream) if k.startswith(folder)]
        if len(keys) < 2:
            return None
        table = pa.concat_tables(
            [self._read_file(k, None) for k in keys], promote_options="default"
        )
        token = f"{now_ms()}-{uuid.uuid4().hex[:12]}"
        output = f"{folder}compact-{token}.parquet"
        manifest = f"{folder}compact-{token}.compact.json"
        self.backend.put_bytes(manifest, json.dumps({"output": output, "replaces": keys}).encode())
        self.backend.put_bytes(output, _parquet_bytes(table))
        for key in keys:
            self.backend.delete(key)
        self.backend.delete(manifest)
        return output

    def _read_file(
        self,
        key: str,
        columns: Sequence[str] | None,
        window: tuple[str, dt.datetime | None, dt.datetime | None] | None = None,
    ) -> pa.Table:
        """Read one file; with ``window``, only the row groups whose times may fall in it."""
        path = self.backend.local_path(key)
        source: Any = str(path) if path is not None else io.BytesIO(self.backend.get_bytes(key))
        file = pq.ParquetFile(source)
        wanted = None
        if columns is not None:
            wanted = [c for c in columns if c in file.schema_arrow.names]
        groups = _groups_in_window(file, window) if window is not None else None
        if groups is None:
            return file.read(columns=wanted)
        return file.read_row_groups(groups, columns=wanted)

    def _stream_dir(self, stream: str) -> str:
        return f"{self.prefix}/{stream}/"


def to_table(rows: Any) -> pa.Table:
    """Convert a pyarrow Table, pandas DataFrame or sequence of mappings to a Table."""
    if isinstance(rows, pa.Table):
        return rows
    if type(rows).__name__ == "DataFrame":
        return pa.Table.from_pandas(rows, preserve_index=False)
    if isinstance(rows, list | tuple):
        return pa.Table.from_pylist(list(rows))
    raise InvalidInput(
        f"events must be a pyarrow Table, pandas DataFrame or list of dicts, not "
        f"{type(rows).__name__}"
    )


def _normalise_time(table: pa.Table, column: str, stream: str) -> pa.Table:
    if table.num_rows == 0 and column not in table.column_names:
        return table
    if column not in table.column_names:
        raise InvalidInput(
            f"events for {stream!r} need a {column!r} column (datetimes or epoch milliseconds); "
            f"got columns {table.column_names}"
        )
    values = table[column]
    kind = values.type
    if pa.types.is_timestamp(kind):
        converted = values.cast(pa.timestamp("ms", tz=kind.tz or "UTC"))
        converted = converted.cast(TIME_TYPE)
    elif pa.types.is_integer(kind):
        converted = values.cast(pa.int64()).cast(TIME_TYPE)
    else:
        raise InvalidInput(
            f"column {column!r} of {stream!r} events has type {kind}; use datetimes or epoch "
            "milliseconds"
        )
    if converted.null_count:
        raise InvalidInput(f"column {column!r} of {stream!r} events has empty times")
    return table.set_column(table.column_names.index(column), column, converted)


_DAY_MS = 86_400_000


def _by_day(table: pa.Table, column: str) -> Iterator[tuple[str, pa.Table]]:
    """Split rows by the UTC date of ``column`` (``timestamp[ms, UTC]``), in date order.

    Rows of one flush nearly always share a date: then the table goes out whole, with no
    per-row work beyond the minimum and maximum.
    """
    ms = table[column].cast(pa.int64()).cast(pa.float64())  # exact: |ms| < 2**53
    days = pc.floor(pc.divide(ms, float(_DAY_MS))).cast(pa.int64())
    bounds = pc.min_max(days)
    first, last = bounds["min"].as_py(), bounds["max"].as_py()
    if first == last:
        yield _date(first), table
        return
    for day in pc.unique(days).sort().to_pylist():
        yield _date(day), table.filter(pc.equal(days, day))


def _date(day: int) -> str:
    return (dt.date(1970, 1, 1) + dt.timedelta(days=day)).isoformat()


def _window(
    table: pa.Table, column: str, since: dt.datetime | None, until: dt.datetime | None
) -> pa.Table:
    if column not in table.column_names or (since is None and until is None):
        return table
    mask = None
    times = table[column]
    if since is not None:
        mask = pc.greater_equal(times, pa.scalar(_aware(since), type=TIME_TYPE))
    if until is not None:
        upper = pc.less(times, pa.scalar(_aware(until), type=TIME_TYPE))
        mask = upper if mask is None else pc.and_(mask, upper)
    return table.filter(mask)


def _may_hold(
    span: tuple[dt.datetime, dt.datetime] | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> bool:
    """Whether a file whose rows lie in ``span`` (unknown: ``None``) may hold window rows."""
    if span is None:
        return True
    low, high = span
    return (since is None or high >= _aware(since)) and (until is None or low < _aware(until))


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _day(moment: dt.datetime) -> str:
    return _aware(moment).astimezone(dt.UTC).date().isoformat()


def _written_since(key: str, oldest_ms: int | None) -> bool:
    if oldest_ms is None:
        return True
    match = _WRITTEN.search(key)
    return match is None or int(match.group(1)) >= oldest_ms


def _in_days(key: str, low: str | None, high: str | None) -> bool:
    match = _DATE.search(key)
    if match is None:
        return True
    day = match.group(1)
    return (low is None or day >= low) and (high is None or day <= high)


def _groups_in_window(
    file: pq.ParquetFile, window: tuple[str, dt.datetime | None, dt.datetime | None]
) -> list[int] | None:
    """Row groups whose time statistics overlap ``since <= time < until`` (``None``: all)."""
    column, since, until = window
    meta = file.metadata
    names = [meta.schema.column(i).path for i in range(meta.num_columns)]
    if column not in names or meta.num_row_groups < 2:
        return None
    position = names.index(column)
    low = None if since is None else int(_aware(since).timestamp() * 1000)
    high = None if until is None else int(_aware(until).timestamp() * 1000)
    groups = []
    for number in range(meta.num_row_groups):
        stats = meta.row_group(number).column(position).statistics
        if stats is None or not stats.has_min_max:
            groups.append(number)
            continue
        first, last = (_epoch_ms(stats.min), _epoch_ms(stats.max))
        if (low is None or last >= low) and (high is None or first < high):
            groups.append(number)
    return groups


def _epoch_ms(value: Any) -> int:
    if isinstance(value, dt.datetime):
        return int(_aware(value).timestamp() * 1000)
    return int(value)


#: Rows per parquet row group: a lookup by id or a time window decodes at most this many.
ROW_GROUP_ROWS = 16_384


def _parquet_bytes(table: pa.Table) -> bytes:
    """Encode ``table`` as zstd parquet, the way every event file is written.

    Only string columns are dictionary-encoded (model names, deployments: few distinct
    values; trying a dictionary on float inputs costs more than the whole rest of the
    write) and only top-level scalar columns get min/max statistics (the time column's
    prune row groups; nothing reads those of nested inputs). A prediction-log flush of
    3,000 rows takes 2 ms instead of 5 and the file is 15 % smaller.
    """
    schema = table.schema
    strings = [
        f.name
        for f in schema
        if pa.types.is_string(f.type)
        or pa.types.is_large_string(f.type)
        or pa.types.is_dictionary(f.type)
    ]
    scalars = [f.name for f in schema if not pa.types.is_nested(f.type)]
    sink = io.BytesIO()
    pq.write_table(
        table,
        sink,
        compression="zstd",
        row_group_size=ROW_GROUP_ROWS,
        use_dictionary=strings,
        write_statistics=scalars,
    )
    return sink.getvalue()


def _check_stream(stream: str) -> None:
    if not _STREAM.match(stream):
        raise InvalidInput(
            f"stream name {stream!r} must be letters, digits, '_', '-' and '.' in '/'-separated "
            "parts, such as 'predictions/churn'"
        )

"""The feedback join over a long prediction log, streamed: memory stays bounded.

:func:`labelled_batches` joins every logged prediction of a deployment in a time window
with its latest label (the rule of :func:`loopml.store.predlog.reading.latest_labels`)
and yields the result in Arrow record batches. Neither stream is loaded whole: each is
handed to DuckDB as a reader that yields one parquet file's batches at a time, DuckDB
works under a memory limit (spilling to a temporary folder beyond it) and the answer
comes back ``batch_rows`` rows at a time. The one-window DataFrame readers
(:func:`~loopml.store.predlog.reading.read_predictions`) read the feedback side through
:func:`feedback_reader` too.
"""

from __future__ import annotations

import datetime as dt
import io
import tempfile
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml.errors import ArtifactNotFound, InvalidInput
from loopml.store.events import TIME_TYPE
from loopml.store.streams import (
    FEEDBACK_STREAM,
    PREDICTION_COLUMNS_NO_INPUTS,
    predictions_stream,
)

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from loopml.store.events import EventLog

#: Prediction-log columns the streamed join returns (the inputs stay in the log).
JOIN_COLUMNS = PREDICTION_COLUMNS_NO_INPUTS
_CONTRACT: dict[str, pa.DataType] = {
    "time": TIME_TYPE,
    "prediction_id": pa.string(),
    "deployment": pa.string(),
    "model_name": pa.string(),
    "model_version": pa.int64(),
    "latency_ms": pa.float64(),
    "prediction": pa.float64(),
    "score": pa.float64(),
    "shadow": pa.bool_(),
    "label": pa.float64(),
}
#: Rows DuckDB reads from a stream per batch.
READ_BATCH_ROWS = 65_536
#: The sequence number of a label is below 2**40 (its logged order, across files).
_SEQ_BITS = 40


def latest_labels_sql() -> str:
    """DuckDB query: the latest label per prediction id of the ``fb`` reader."""
    return (
        "SELECT prediction_id, arg_max(label, _k) AS label, arg_max(time, _k) AS label_time "
        f"FROM (SELECT prediction_id, label, time, CAST(epoch_ms(time) AS HUGEINT) * "
        f"{1 << _SEQ_BITS} + _seq AS _k FROM fb) GROUP BY prediction_id"
    )


def labelled_batches(
    log: EventLog,
    deployment: str,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    *,
    shadow: bool | None = None,
    columns: Sequence[str] = JOIN_COLUMNS,
    batch_rows: int = 65_536,
    memory_limit: str = "128MB",
) -> Iterator[pa.RecordBatch]:
    """Yield the predictions of ``deployment`` with ``since <= time < until`` and their labels.

    Every row carries ``label`` and ``label_time`` (null when no label arrived); labels
    recorded before ``since`` do not count. Rows come in no particular order.

    Args:
        log: the event log.
        deployment: the deployment whose prediction log is read.
        since: earliest prediction time (and earliest label time); ``None``: all.
        until: latest prediction time (exclusive); ``None``: all.
        shadow: ``False`` for answered rows only, ``True`` for shadow rows only, ``None`` both.
        columns: prediction-log columns to return (any of :data:`JOIN_COLUMNS`).
        batch_rows: rows per yielded batch.
        memory_limit: DuckDB's memory limit (it spills to a temporary folder beyond it).

    Raises:
        InvalidInput: an unknown column, or ``batch_rows`` below 1.
    """
    unknown = [c for c in columns if c not in JOIN_COLUMNS]
    if unknown or not columns:
        raise InvalidInput(f"columns must be some of {list(JOIN_COLUMNS)}; got {list(columns)}")
    if batch_rows < 1:
        raise InvalidInput(f"batch_rows must be at least 1, not {batch_rows}")
    since, until = _aware(since), _aware(until)
    wanted = list(dict.fromkeys(["time", "prediction_id", "shadow", *columns]))
    predictions = prediction_reader(log, deployment, since, until, wanted, shadow)
    labels = feedback_reader(log, since, deployment)
    import duckdb

    with tempfile.TemporaryDirectory(prefix="loopml-join-") as spill:
        connection = duckdb.connect(
            config={"memory_limit": memory_limit, "temp_directory": spill, "threads": 2}
        )
        try:
            connection.execute("SET preserve_insertion_order = false")
            connection.register("p", predictions)
            connection.register("fb", labels)
            select = ", ".join(f'p."{c}"' for c in columns)
            result = connection.sql(
                f"SELECT {select}, l.label, l.label_time FROM p "
                f"LEFT JOIN ({latest_labels_sql()}) l USING (prediction_id)"
            )
            for batch in result.to_arrow_reader(batch_rows):
                yield _times_in_contract(batch)
        finally:
            connection.close()


def prediction_reader(
    log: EventLog,
    deployment: str,
    since: dt.datetime | None,
    until: dt.datetime | None,
    columns: Sequence[str],
    shadow: bool | None = None,
) -> pa.RecordBatchReader:
    """Return the window's predictions as a reader of one file's batches at a time.

    Columns whose type differs between files (a prediction logged as a number in one
    and as text in another) are read as text; a column a file lacks is null.
    """
    keys = log.keys(predictions_stream(deployment), since, until)
    schema = _unified_schema(log, keys, columns)

    def batches() -> Iterator[pa.RecordBatch]:
        for key in keys:
            for batch in _file_batches(log, key, schema.names):
                batch = _window(batch, since, until)
                if shadow is not None and "shadow" in batch.schema.names:
                    batch = batch.filter(pc.equal(batch["shadow"], pa.scalar(shadow)))
                if batch.num_rows:
                    yield _conform(batch, schema)

    return pa.RecordBatchReader.from_batches(schema, batches())


def feedback_reader(
    log: EventLog,
    since: dt.datetime | None,
    deployment: str | None,
    keys: list[str] | None = None,
    ids: pa.Array | None = None,
) -> pa.RecordBatchReader:
    """Return labels since ``since`` in logged order, with their logged position ``_seq``.

    Columns: ``prediction_id``, ``label``, ``time``, ``_seq`` (int64, increasing in the
    order the labels were logged). With ``deployment``, only labels attributed to it or
    to none are read. Labels are text when some files hold text labels, else float64.
    ``keys``: the feedback files, when the caller has listed them already; ``ids``: read
    only the labels of these prediction ids (a window's), dropped batch by batch.
    """
    since = _aware(since)
    listed = log.keys(FEEDBACK_STREAM, since) if keys is None else keys
    keys = sorted(listed, key=_logged_order)
    schema = _unified_schema(log, keys, ["prediction_id", "label", "time"])
    read = [*schema.names, "deployment"]
    output = schema.append(pa.field("_seq", pa.int64()))

    def batches() -> Iterator[pa.RecordBatch]:
        seq = 0
        for key in keys:
            for batch in _file_batches(log, key, read):
                numbered = batch.append_column(
                    "_seq", pa.array(range(seq, seq + batch.num_rows), type=pa.int64())
                )
                seq += batch.num_rows
                numbered = _window(numbered, since, None)
                if ids is not None:
                    numbered = numbered.filter(pc.is_in(numbered["prediction_id"], ids))
                if deployment is not None and "deployment" in numbered.schema.names:
                    owner = numbered["deployment"]
                    keep = pc.or_kleene(pc.is_null(owner), pc.equal(owner, deployment))
                    numbered = numbered.filter(keep)
                if numbered.num_rows:
                    yield _conform(numbered, output)

    return pa.RecordBatchReader.from_batches(output, batches())


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


def _logged_order(key: str) -> tuple[str, str]:
    # date partition first, then the file name (compact-/part-<epoch ms>-...): write order
    folder, _, name = key.rpartition("/")
    return folder, name


def _open(log: EventLog, key: str) -> pq.ParquetFile | None:
    path = log.backend.local_path(key)
    try:
        source: Any = str(path) if path is not None else io.BytesIO(log.backend.get_bytes(key))
        return pq.ParquetFile(source)
    except (FileNotFoundError, ArtifactNotFound):  # compacted between listing and reading
        return None


def _unified_schema(log: EventLog, keys: list[str], columns: Sequence[str]) -> pa.Schema:
    """The schema of ``columns`` over the files (footers only): text where types differ."""
    seen: dict[str, set[str]] = {c: set() for c in columns}
    kinds: dict[str, pa.DataType] = {}
    for key in keys:
        file = _open(log, key)
        if file is None:
            continue
        schema = file.schema_arrow
        for name in columns:
            if name in schema.names:
                kinds.setdefault(name, schema.field(name).type)
                seen[name].add(str(schema.field(name).type))
    fields = []
    for name in columns:
        if len(seen[name]) > 1:
            fields.append(pa.field(name, pa.string()))
        else:
            fields.append(pa.field(name, kinds.get(name, _CONTRACT.get(name, pa.string()))))
    return pa.schema(fields)


def _file_batches(log: EventLog, key: str, columns: Sequence[str]) -> Iterator[pa.RecordBatch]:
    file = _open(log, key)
    if file is None:
        return
    present = [c for c in columns if c in file.schema_arrow.names]
    yield from file.iter_batches(batch_size=READ_BATCH_ROWS, columns=present)


def _window(
    batch: pa.RecordBatch, since: dt.datetime | None, until: dt.datetime | None
) -> pa.RecordBatch:
    if "time" not in batch.schema.names or (since is None and until is None):
        return batch
    times = batch["time"]
    mask = None
    if since is not None:
        mask = pc.greater_equal(times, pa.scalar(since, type=TIME_TYPE))
    if until is not None:
        upper = pc.less(times, pa.scalar(until, type=TIME_TYPE))
        mask = upper if mask is None else pc.and_(mask, upper)
    return batch.filter(mask)


def _times_in_contract(batch: pa.RecordBatch) -> pa.RecordBatch:
    """DuckDB hands timestamps back in microseconds; the log's contract is milliseconds."""
    for index, field in enumerate(batch.schema):
        if pa.types.is_timestamp(field.type) and field.type != TIME_TYPE:
            batch = batch.set_column(index, field.name, batch[index].cast(TIME_TYPE))
    return batch


def _conform(batch: pa.RecordBatch, schema: pa.Schema) -> pa.RecordBatch:
    arrays = []
    for field in schema:
        if field.name in batch.schema.names:
            column = batch[field.name]
            arrays.append(column if column.type == field.type else column.cast(field.type))
        else:
            arrays.append(pa.nulls(batch.num_rows, type=field.type))
    return pa.RecordBatch.from_arrays(arrays, schema=schema)

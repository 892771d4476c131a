"""Read the prediction log and the feedback stream back, and join labels to predictions.

The one rule for several labels of one prediction lives here (:func:`latest_labels`):
the label with the latest ``time`` wins; of labels with the same time, the one logged
last wins; a deployment sees the labels attributed to it and those attributed to none.
Serving's ``predictions(with_feedback=True)`` and monitoring's performance windows both
use it.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from typing import TYPE_CHECKING, Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from loopml.errors import ArtifactNotFound, InvalidInput
from loopml.store.events import TIME_TYPE
from loopml.store.predlog.streamed import feedback_reader, latest_labels_sql
from loopml.store.streams import FEEDBACK_STREAM, PREDICTION_COLUMNS, predictions_stream

if TYPE_CHECKING:
    import pandas as pd

    from loopml.store.events import EventLog

_RELATIVE = re.compile(r"^(\d+(?:\.\d+)?)\s*(s|m|h|d|w)$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def parse_moment(value: dt.datetime | dt.timedelta | str | None) -> dt.datetime | None:
    """Turn ``since``/``until`` into an aware datetime.

    Accepts a datetime (naive means UTC), a timedelta or a relative text such as ``"1h"``
    or ``"7d"`` (that long before now), or an ISO date or timestamp.

    Raises:
        InvalidInput: the text is neither relative nor ISO.
    """
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    now = dt.datetime.now(dt.UTC)
    if isinstance(value, dt.timedelta):
        return now - value
    match = _RELATIVE.match(value.strip())
    if match:
        return now - dt.timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])
    try:
        moment = dt.datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(
            f"time {value!r} is not relative ('30m', '1h', '7d') nor ISO ('2026-11-23T10:00')"
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def read_predictions(
    log: EventLog,
    deployment: str,
    since: dt.datetime | dt.timedelta | str | None = None,
    until: dt.datetime | dt.timedelta | str | None = None,
    *,
    shadow: bool | None = None,
    with_feedback: bool = False,
    flatten_inputs: bool = True,
    limit: int | None = None,
) -> Any:
    """Return logged predictions of a deployment as a pandas DataFrame, newest last.

    Args:
        log: the event log.
        deployment: the deployment name (by default the model name).
        since: earliest time (datetime, timedelta, ``"1h"`` or ISO text).
        until: latest time (exclusive).
        shadow: ``False`` for answered rows only, ``True`` for shadow rows only, ``None`` both.
        with_feedback: add ``label`` and ``label_time`` (the latest feedback per prediction).
        flatten_inputs: one column per input instead of the ``inputs`` struct (a name that
            clashes with a log column gets an ``input_`` prefix).
        limit: return at most this many rows (the newest).
    """
    low, high = parse_moment(since), parse_moment(until)
    table = log.read(predictions_stream(deployment), low, high)
    if "prediction_id" not in table.column_names:
        return _empty(with_feedback)
    tables: dict[str, Any] = {"p": table}
    select = ["p.* EXCLUDE (inputs)"] if flatten_inputs else ["p.*"]
    if flatten_inputs:
        fields = [f.name for f in table.schema.field("inputs").type]
        for name in fields:
            alias = f"input_{name}" if name in PREDICTION_COLUMNS or name in ("label",) else name
            select.append(f'p.inputs."{_quote(name)}" AS "{_quote(alias)}"')
    join = ""
    label_files = log.keys(FEEDBACK_STREAM, low) if with_feedback else []
    has_feedback = bool(label_files)
    if has_feedback:
        # labels are streamed into DuckDB file by file, never loaded whole
        ids = pc.unique(table["prediction_id"]).cast(pa.string())
        tables["fb"] = feedback_reader(log, low, deployment, label_files, ids)
        select += ["l.label", "l.label_time"]
        join = f" LEFT JOIN ({latest_labels_sql()}) l USING (prediction_id)"
    where = "" if shadow is None else f" WHERE p.shadow = {'true' if shadow else 'false'}"
    order = " ORDER BY p.time DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
    sql = f"SELECT * FROM (SELECT {', '.join(select)} FROM p{join}{where}{order}) ORDER BY time"
    frame = _run(sql, tables)
    if with_feedback and not has_feedback:
        frame["label"] = None
        frame["label_time"] = None
    return frame


def read_feedback(log: EventLog, since: dt.datetime | None) -> pa.Table:
    """Read the feedback stream since ``since``, in logged order.

    Deployments may label with numbers or text; when both occur, labels are read as text.
    """
    tables = []
    # a caching view (loopml.store.event_cache) knows the times of files it read before
    span_of = getattr(log.backend, "time_span", None) if since is not None else None
    for key in sorted(log.keys(FEEDBACK_STREAM, since), key=_logged_order):
        span = None if span_of is None else span_of(key, "time")
        if span is not None and since is not None and span[1] < _utc(since):
            continue  # every row of it is older than ``since``
        try:
            tables.append(pq.read_table(io.BytesIO(log.backend.get_bytes(key))))
        except (FileNotFoundError, ArtifactNotFound):  # compacted between listing and reading
            continue
    if not tables:
        return pa.table({"time": pa.array([], type=TIME_TYPE)})
    if len({str(t.schema.field("label").type) for t in tables}) > 1:
        tables = [_label_as_text(t) for t in tables]
    table = pa.concat_tables(tables, promote_options="default")
    if since is not None:
        table = table.filter(pc.greater_equal(table["time"], pa.scalar(since, type=TIME_TYPE)))
    return table


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=dt.UTC)


def _logged_order(key: str) -> tuple[str, str]:
    # date partition first, then the file name (compact-/part-<epoch ms>-...): write order
    folder, _, name = key.rpartition("/")
    return folder, name


def _label_as_text(table: pa.Table) -> pa.Table:
    index = table.column_names.index("label")
    return table.set_column(index, "label", table["label"].cast(pa.string()))


def latest_labels(feedback: pa.Table, deployment: str | None = None) -> pa.Table:
    """Apply the one label rule to feedback rows in logged order.

    Returns one row per prediction id (``prediction_id``, ``label``, ``label_time``): the
    label with the latest time, the last logged among equal times. With ``deployment``,
    only labels attributed to it or to no deployment count.
    """
    if feedback.num_rows == 0 or "label" not in feedback.column_names:
        return _no_labels()
    if deployment is not None and "deployment" in feedback.column_names:
        owner = feedback["deployment"]
        feedback = feedback.filter(pc.or_kleene(pc.is_null(owner), pc.equal(owner, deployment)))
    rows = feedback.num_rows
    if rows == 0:
        return _no_labels()
    ordered = (
        feedback.select(["prediction_id", "label", "time"])
        .append_column("_logged", pa.array(range(rows), type=pa.int64()))
        .sort_by([("prediction_id", "ascending"), ("time", "ascending"), ("_logged", "ascending")])
    )
    ids = ordered["prediction_id"]
    is_last = pc.not_equal(ids.slice(1), ids.slice(0, rows - 1))
    mask = pa.concat_arrays([*is_last.fill_null(True).chunks, pa.array([True])])
    latest = ordered.filter(mask)
    return pa.table(
        {
            "prediction_id": latest["prediction_id"],
            "label": latest["label"],
            "label_time": latest["time"],
        }
    )


def _no_labels() -> pa.Table:
    return pa.table(
        {
            "prediction_id": pa.array([], type=pa.string()),
            "label": pa.array([], type=pa.float64()),
            "label_time": pa.array([], type=TIME_TYPE),
        }
    )


def latest_feedback(
    log: EventLog, since: dt.datetime | None, deployment: str | None
) -> pd.DataFrame:
    """Return the latest label per prediction id recorded since ``since`` as a DataFrame.

    The labels are streamed into DuckDB file by file (the rule of :func:`latest_labels`).
    """
    files = log.keys(FEEDBACK_STREAM, since)
    if not files:
        frame: pd.DataFrame = _no_labels().to_pandas()
        return frame
    labels = feedback_reader(log, since, deployment, files)
    found: pd.DataFrame = _run(latest_labels_sql(), {"fb": labels})
    return found


def join_labels(predictions: pd.DataFrame, feedback: pd.DataFrame) -> pd.DataFrame:
    """Inner-join predictions with their latest labels (:func:`latest_feedback`) by id."""
    if len(predictions) == 0 or len(feedback) == 0:
        empty: pd.DataFrame = predictions.iloc[0:0].assign(label=None)
        return empty
    joined: pd.DataFrame = predictions.merge(feedback, on="prediction_id", how="inner")
    return joined


def _run(sql: str, tables: dict[str, Any]) -> Any:
    import duckdb

    connection = duckdb.connect()
    try:
        for alias, arrow in tables.items():
            connection.register(alias, arrow)
        return connection.sql(sql).to_arrow_table().to_pandas()
    finally:
        connection.close()


def _quote(name: str) -> str:
    return name.replace('"', '""')


def _empty(with_feedback: bool) -> Any:
    import pandas as pd

    columns = [c for c in PREDICTION_COLUMNS if c != "inputs"]
    if with_feedback:
        columns += ["label", "label_time"]
    return pd.DataFrame(columns=columns)

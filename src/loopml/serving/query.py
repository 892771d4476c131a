"""Read the prediction log back: DuckDB over the ``predictions/<deployment>`` stream."""

from __future__ import annotations

import datetime as dt
import re
from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput
from loopml.store.streams import FEEDBACK_STREAM, PREDICTION_COLUMNS, predictions_stream

if TYPE_CHECKING:
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


def predictions(
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
    feedback = log.read(FEEDBACK_STREAM, low) if with_feedback else None
    has_feedback = feedback is not None and "label" in feedback.column_names
    if has_feedback:
        tables["f"] = feedback
        select += ["fb.label", "fb.label_time"]
        join = (
            " LEFT JOIN (SELECT prediction_id, arg_max(label, time) AS label, max(time) AS "
            "label_time FROM f GROUP BY prediction_id) fb USING (prediction_id)"
        )
    where = "" if shadow is None else f" WHERE p.shadow = {'true' if shadow else 'false'}"
    order = " ORDER BY p.time DESC" + (f" LIMIT {int(limit)}" if limit is not None else "")
    sql = f"SELECT * FROM (SELECT {', '.join(select)} FROM p{join}{where}{order}) ORDER BY time"
    frame = _run(sql, tables)
    if with_feedback and not has_feedback:
        frame["label"] = None
        frame["label_time"] = None
    return frame


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

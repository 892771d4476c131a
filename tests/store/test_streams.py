from __future__ import annotations

import datetime as dt
import uuid

import pytest

from loopml.errors import InvalidInput
from loopml.store.blob_backends import open_backend
from loopml.store.events import EventLog
from loopml.store.streams import (
    FEEDBACK_COLUMNS,
    FEEDBACK_STREAM,
    append_feedback,
    feedback_table,
    predictions_stream,
)


def test_feedback_rows_follow_the_contract() -> None:
    when = dt.datetime(2026, 1, 2, tzinfo=dt.UTC)
    table = feedback_table(
        [{"prediction_id": "p1", "label": 1}, {"prediction_id": "p2", "label": 0.0, "time": when}]
    )
    assert tuple(table.column_names) == FEEDBACK_COLUMNS
    assert table.column("label").to_pylist() == [1.0, 0.0]
    assert table.column("time").to_pylist()[1] == when


def test_feedback_is_appended_and_readable() -> None:
    log = EventLog(open_backend(f"memory://fb-{uuid.uuid4().hex}"))
    assert append_feedback(log, [{"prediction_id": "p1", "label": "churned"}]) == 1
    assert log.read(FEEDBACK_STREAM).column("label").to_pylist() == ["churned"]


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([{"label": 1}], "prediction_id"),
        ([{"prediction_id": "p", "label": None}], "label"),
        ([{"prediction_id": "p", "label": 1}, {"prediction_id": "q", "label": "x"}], "all numbers"),
        ([{"prediction_id": "p", "label": 1, "time": "now"}], "time"),
    ],
)
def test_bad_feedback_is_rejected(rows: list[dict[str, object]], message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        feedback_table(rows)


def test_prediction_stream_names() -> None:
    assert predictions_stream("churn") == "predictions/churn"

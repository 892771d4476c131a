"""The prediction log: what a request writes, how it is read back, crash bounds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from loopml.errors import InvalidInput
from loopml.serving.predlog import Entry, IdSource, PredictionLog
from loopml.serving.query import parse_moment, predictions
from loopml.store.streams import PREDICTION_COLUMNS

ROW = [1.0, 2.0, 3.0, 4.0]


def test_every_answered_row_is_logged_with_the_contract_columns(serve, source):
    server = serve()
    out = server.client.post("/predict", json={"instances": [ROW, [-1.0] * 4]}).json()
    fb = {"prediction_id": out["prediction_ids"][0], "label": 0}
    server.client.post("/feedback", json=fb)
    server.built.predlog.flush()
    table = source.log.read("predictions/churn")
    assert tuple(table.column_names) == PREDICTION_COLUMNS
    assert table["inputs"].type.names == ["f0", "f1", "f2", "f3"]
    frame = predictions(source.log, "churn", since="1h", with_feedback=True)
    assert list(frame["prediction_id"]) == out["prediction_ids"]
    assert list(frame["prediction"]) == [1.0, 0.0]
    assert frame["score"].iloc[0] == pytest.approx(1 / (1 + np.exp(-10)))
    assert list(frame["f0"]) == [1.0, -1.0]
    assert frame["label"].iloc[0] == 0.0
    assert np.isnan(frame["label"].iloc[1])
    assert (frame["latency_ms"] > 0).all()
    assert set(frame["model_version"]) == {1}
    assert len(predictions(source.log, "churn", limit=1)) == 1
    assert predictions(source.log, "churn", until=dt.datetime(2000, 1, 1)).empty


def test_the_writer_flushes_on_its_own_within_the_interval(serve, source):
    server = serve(flush_interval=0.1)
    server.client.post("/predict", json={"instances": [ROW]})
    deadline = dt.datetime.now() + dt.timedelta(seconds=5)
    while source.log.read("predictions/churn").num_rows == 0:
        assert dt.datetime.now() < deadline


def test_logging_can_be_turned_off(serve, source):
    server = serve(log_predictions=False)
    server.client.post("/predict", json={"instances": [ROW]})
    server.built.predlog.flush()
    assert source.log.read("predictions/churn").num_rows == 0


def test_a_failed_write_keeps_the_rows_for_the_next_flush(source):
    calls = []

    def open_log():
        calls.append(1)
        if len(calls) == 1:
            raise OSError("disk gone")
        return source.log

    log = PredictionLog(open_log, "churn")
    x = np.ones((1, 2))
    log.record(
        Entry(["a"], 0, "churn", 1, 1.0, x, np.array([1]), None, False, ("a", "b"), ("f", "f"))
    )
    with pytest.raises(OSError, match="disk gone"):
        log.flush()
    assert log.flush() == 1


def test_ids_are_unique_across_sources():
    a, b = IdSource(), IdSource()
    ids = a.take(1000) + b.take(1000)
    assert len(set(ids)) == 2000


def test_parse_moment():
    now = dt.datetime.now(dt.UTC)
    assert abs((now - parse_moment("1h")).total_seconds() - 3600) < 5
    assert parse_moment("2026-01-02").tzinfo is not None
    assert parse_moment(None) is None
    with pytest.raises(InvalidInput, match="relative"):
        parse_moment("yesterday")


def test_text_inputs_and_labels_are_logged_as_strings(source):
    log = PredictionLog(lambda: source.log, "plans")
    x = np.array([["pro", 3, True], ["free", 1, False]], dtype=object)
    log.record(
        Entry(
            IdSource().take(2), 0, "plans", 1, 2.0, x, np.array(["yes", "no"], dtype=object),
            None, False, ("plan", "seats", "trial"), ("s", "i", "b"),
        )
    )  # fmt: skip
    assert log.flush() == 2
    table = source.log.read("predictions/plans")
    assert table["prediction"].to_pylist() == ["yes", "no"]
    inputs = table["inputs"].to_pylist()
    assert inputs[0] == {"plan": "pro", "seats": 3, "trial": True}

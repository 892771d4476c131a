"""The prediction log: what a request writes, how it is read back, crash bounds."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from loopml.errors import InvalidInput
from loopml.store.predlog.reading import parse_moment, read_predictions as predictions
from loopml.store.predlog.writer import Entry, IdSource, PredictionLog
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


def test_feedback_for_an_unknown_prediction_is_404(serve):
    server = serve()
    response = server.client.post("/feedback", json={"prediction_id": "not-a-real-id", "label": 1})
    assert response.status_code == 404
    assert "not-a-real-id" in response.json()["message"]


def test_feedback_cannot_choose_another_deployment(serve, source):
    server = serve()
    ids = server.client.post("/predict", json={"instances": [ROW]}).json()["prediction_ids"]
    row = {"prediction_id": ids[0], "label": 1, "deployment": "fraud"}
    response = server.client.post("/feedback", json=row)
    assert response.status_code == 422
    assert response.json()["field"] == "[0].deployment"
    accepted = server.client.post("/feedback", json={**row, "deployment": "churn"})
    assert accepted.json() == {"accepted": 1}
    assert source.log.read("feedback")["deployment"].to_pylist() == ["churn"]


def test_a_slow_store_never_blocks_requests_and_dropped_rows_are_counted(serve, source):
    import time

    def slow_log():
        time.sleep(5.0)
        raise OSError("store unavailable")

    source.event_log = slow_log  # type: ignore[method-assign]
    server = serve(flush_interval=0.05, max_pending_rows=3)
    started = time.perf_counter()
    for _ in range(5):
        assert server.client.post("/predict", json={"instances": [ROW]}).status_code == 200
    assert time.perf_counter() - started < 4.0  # never waits for the 5 s store
    dropped = 'loopml_serving_prediction_log_dropped_total{deployment="churn"} 2.0'
    deadline = time.monotonic() + 20  # the flush in flight requeues what fits after 5 s
    while dropped not in server.client.get("/metrics").text:
        assert time.monotonic() < deadline, server.client.get("/metrics").text

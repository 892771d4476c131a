"""The prediction-log owner: the one label rule, label attribution, the bounded writer."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from loopml.errors import InvalidInput
from loopml.store.blob_backends.local import LocalBlobBackend
from loopml.store.events import TIME_TYPE, EventLog
from loopml.store.predlog.feedback import UnknownPredictions, log_feedback_rows
from loopml.store.predlog.reading import latest_labels, read_predictions
from loopml.store.predlog.writer import Entry, IdSource, PredictionLog


def _feedback(rows):
    return pa.table(
        {
            "time": pa.array([r[1] for r in rows], type=pa.int64()).cast(TIME_TYPE),
            "prediction_id": pa.array([r[0] for r in rows], type=pa.string()),
            "label": pa.array([float(r[2]) for r in rows]),
            "deployment": pa.array([r[3] if len(r) > 3 else None for r in rows], pa.string()),
        }
    )


def test_latest_time_wins_and_ties_go_to_the_label_logged_last():
    table = _feedback([("a", 20, 1), ("a", 10, 2), ("b", 5, 3), ("b", 5, 4), ("c", 1, 5)])
    latest = latest_labels(table).to_pydict()
    got = dict(zip(latest["prediction_id"], latest["label"], strict=True))
    assert got == {"a": 1.0, "b": 4.0, "c": 5.0}


def test_a_deployment_sees_its_own_labels_and_unattributed_ones():
    table = _feedback([("a", 1, 1, "churn"), ("a", 2, 2, "fraud"), ("b", 1, 3, None)])
    latest = latest_labels(table, "churn").to_pydict()
    assert dict(zip(latest["prediction_id"], latest["label"], strict=True)) == {"a": 1.0, "b": 3.0}


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.sampled_from("abc"), st.integers(0, 3), st.integers(0, 9)), max_size=30)
)
def test_the_rule_matches_a_plain_python_model(rows):
    expected: dict[str, tuple[int, int, float]] = {}
    for order, (pid, time, label) in enumerate(rows):
        if pid not in expected or (time, order) >= expected[pid][:2]:
            expected[pid] = (time, order, float(label))
    latest = latest_labels(_feedback(rows)).to_pydict()
    got = dict(zip(latest["prediction_id"], latest["label"], strict=True))
    assert got == {pid: value[2] for pid, value in expected.items()}


def _entry(ids, x):
    x = np.asarray(x, dtype=np.float64)
    return Entry(ids, 1_700_000_000_000, "churn", 1, 1.0, x, np.zeros(len(x)), None, False,
                 ("f0",), ("f",))  # fmt: skip


def test_the_queue_is_bounded_and_counts_dropped_rows(tmp_path):
    log = EventLog(LocalBlobBackend(str(tmp_path)))
    writer = PredictionLog(lambda: log, "churn", max_pending_rows=3)
    ids = IdSource()
    assert writer.record(_entry(ids.take(2), [[1.0], [2.0]]))
    assert not writer.record(_entry(ids.take(2), [[3.0], [4.0]]))
    assert writer.record(_entry(ids.take(1), [[5.0]]))
    assert (writer.stats.pending_rows, writer.stats.dropped_rows) == (3, 2)
    assert writer.flush() == 3
    assert (writer.stats.pending_rows, writer.stats.logged_rows) == (0, 3)


def test_a_store_that_keeps_failing_never_grows_the_queue_past_its_bound(tmp_path):
    def broken():
        raise OSError("store is down")

    writer = PredictionLog(broken, "churn", max_pending_rows=4)
    ids = IdSource()
    for _ in range(3):
        writer.record(_entry(ids.take(2), [[1.0], [2.0]]))
        with pytest.raises(OSError, match="down"):
            writer.flush()
    assert writer.stats.pending_rows == 4
    assert writer.stats.dropped_rows == 2


def _logged(tmp_path, deployment="churn"):
    log = EventLog(LocalBlobBackend(str(tmp_path)))
    writer = PredictionLog(lambda: log, deployment)
    ids = IdSource().take(2)
    writer.record(_entry(ids, [[1.0], [2.0]]))
    writer.flush()
    return log, ids


def test_labels_follow_their_prediction_and_a_wrong_deployment_is_refused(tmp_path):
    log, ids = _logged(tmp_path)
    log_feedback_rows(log, [{"prediction_id": ids[0], "label": 1}])
    assert log.read("feedback")["deployment"].to_pylist() == ["churn"]
    rows = [
        {"prediction_id": ids[1], "label": 1, "deployment": "fraud"},
        {"prediction_id": ids[0], "label": 1, "deployment": "churn"},
    ]
    with pytest.raises(InvalidInput, match="logged by deployment 'churn'"):
        log_feedback_rows(log, rows)
    with pytest.raises(UnknownPredictions):
        log_feedback_rows(log, [{"prediction_id": "nope", "label": 1}], deployment="churn")


def test_predictions_with_feedback_use_the_same_rule(tmp_path):
    log, ids = _logged(tmp_path)
    t = 1_700_000_000_000
    log_feedback_rows(log, [{"prediction_id": ids[0], "label": 1, "time": t + 5}])
    log_feedback_rows(log, [{"prediction_id": ids[0], "label": 0, "time": t + 5}])
    log_feedback_rows(log, [{"prediction_id": ids[0], "label": 1, "time": t + 1}])
    frame = read_predictions(log, "churn", with_feedback=True)
    assert frame.set_index("prediction_id").loc[ids[0], "label"] == 0.0


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"prediction_id": "x", "label": 1, "time": 10**30}, "out of range"),
        ({"prediction_id": "x", "label": 1, "time": "yesterday"}, "ISO"),
        ({"prediction_id": "x", "label": 1, "time": True}, "epoch milliseconds"),
        ({"prediction_id": "x", "label": 10**400}, "too large"),
        ({"prediction_id": "x", "label": {"a": 1}}, "number or a string"),
    ],
)
def test_bad_feedback_values_are_invalid_input(tmp_path, row, fragment):
    log = EventLog(LocalBlobBackend(str(tmp_path)))
    with pytest.raises(InvalidInput, match=fragment):
        log_feedback_rows(log, [row], on_unknown="keep", deployment="churn")

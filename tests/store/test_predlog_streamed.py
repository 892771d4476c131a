"""The streamed feedback join: same answers as the one-window reader, in bounded batches."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest
from hypothesis import given, settings, strategies as st

from loopml.errors import InvalidInput
from loopml.store.blob_backends.local import LocalBlobBackend
from loopml.store.events import TIME_TYPE, EventLog
from loopml.store.predlog.reading import latest_feedback, latest_labels, read_predictions
from loopml.store.predlog.streamed import labelled_batches

START = dt.datetime(2026, 11, 1, tzinfo=dt.UTC)


def _moment(minutes: int) -> dt.datetime:
    return START + dt.timedelta(minutes=minutes)


def _predictions(log, deployment, rows, prediction=None):
    """``rows``: (id, minutes after START, shadow)."""
    n = len(rows)
    values = prediction if prediction is not None else [float(i) for i in range(n)]
    log.append(
        f"predictions/{deployment}",
        pa.table(
            {
                "time": [_moment(r[1]) for r in rows],
                "prediction_id": [r[0] for r in rows],
                "deployment": [deployment] * n,
                "model_name": [deployment] * n,
                "model_version": pa.array([1] * n, pa.int64()),
                "latency_ms": [1.0] * n,
                "inputs": pa.StructArray.from_arrays([pa.array([0.5] * n)], names=["x"]),
                "prediction": values,
                "score": [0.5] * n,
                "shadow": [r[2] if len(r) > 2 else False for r in rows],
            }
        ),
    )


def _labels(log, rows):
    """``rows``: (id, minutes after START, label, deployment or None)."""
    log.append(
        "feedback",
        pa.table(
            {
                "time": pa.array([_moment(r[1]) for r in rows], TIME_TYPE),
                "prediction_id": [r[0] for r in rows],
                "label": [r[2] for r in rows],
                "deployment": pa.array([r[3] for r in rows], pa.string()),
            }
        ),
    )


def _joined(log, deployment, since=None, until=None, **options):
    batches = list(labelled_batches(log, deployment, since, until, **options))
    table = pa.Table.from_batches(batches) if batches else None
    rows = table.to_pylist() if table is not None else []
    return {r["prediction_id"]: (r["label"], r["label_time"]) for r in rows}, batches


@pytest.fixture
def log(tmp_path):
    return EventLog(LocalBlobBackend(str(tmp_path)))


def test_latest_label_wins_ties_go_to_the_one_logged_last_and_others_are_not_seen(log):
    _predictions(log, "churn", [("a", 0), ("b", 1), ("c", 2), ("d", 3)])
    _predictions(log, "churn", [("e", 4)])
    _labels(log, [("a", 20, 1.0, "churn"), ("b", 10, 2.0, None), ("c", 10, 3.0, "fraud")])
    _labels(log, [("a", 10, 4.0, "churn"), ("b", 10, 5.0, "churn"), ("e", 5, 6.0, None)])
    got, _ = _joined(log, "churn")
    labels = {k: v[0] for k, v in got.items()}
    assert labels == {"a": 1.0, "b": 5.0, "c": None, "d": None, "e": 6.0}
    assert got["a"][1] == _moment(20)
    frame = read_predictions(log, "churn", with_feedback=True)
    pairs = zip(frame.prediction_id, frame.label, strict=True)
    same = {p: None if pd.isna(v) else v for p, v in pairs}
    assert same == labels


def test_window_shadow_and_labels_before_the_window(log):
    _predictions(log, "churn", [("a", 0), ("b", 30), ("c", 60, True), ("d", 90)])
    _labels(log, [("b", 20, 1.0, None), ("c", 70, 1.0, None), ("d", 95, 0.0, None)])
    got, _ = _joined(log, "churn", _moment(30), _moment(91), shadow=False)
    assert {k: v[0] for k, v in got.items()} == {"b": None, "d": 0.0}  # b's label is too early


def test_batches_are_bounded_and_in_the_log_contract(log):
    _predictions(log, "churn", [(f"p{i}", i % 50) for i in range(250)])
    _labels(log, [(f"p{i}", 60, 1.0, None) for i in range(0, 250, 2)])
    columns = ("prediction_id", "time", "prediction")
    got, batches = _joined(log, "churn", batch_rows=64, columns=columns)
    assert len(got) == 250
    assert sum(v[0] is not None for v in got.values()) == 125
    assert all(b.num_rows <= 64 for b in batches)
    schema = batches[0].schema
    assert schema.names == [*columns, "label", "label_time"]
    assert schema.field("time").type == TIME_TYPE == schema.field("label_time").type


def test_text_and_numbers_mixed_across_files_are_read_as_text(log):
    _predictions(log, "churn", [("a", 0)], prediction=[1.0])
    _predictions(log, "churn", [("b", 1)], prediction=["yes"])
    _labels(log, [("a", 5, 1.0, None)])
    _labels(log, [("b", 5, "no", None)])
    batches = list(labelled_batches(log, "churn", columns=("prediction_id", "prediction")))
    table = pa.Table.from_batches(batches)
    assert table.schema.field("prediction").type == pa.string()
    assert table.schema.field("label").type == pa.string()
    assert sorted(table["label"].to_pylist()) == ["1", "no"]  # as the one-window reader casts them


def test_no_log_and_no_labels(log):
    assert list(labelled_batches(log, "nothing")) == []
    _predictions(log, "churn", [("a", 0)])
    got, _ = _joined(log, "churn")
    assert got == {"a": (None, None)}


@pytest.mark.parametrize(
    ("options", "message"),
    [({"columns": ("inputs",)}, "columns"), ({"columns": ()}, "columns"),
     ({"batch_rows": 0}, "batch_rows")],
)  # fmt: skip
def test_bad_arguments_are_refused(log, options, message):
    with pytest.raises(InvalidInput, match=message):
        next(iter(labelled_batches(log, "churn", **options)))


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.lists(
            st.tuples(
                st.sampled_from("abc"),
                st.integers(0, 3),
                st.integers(0, 9),
                st.sampled_from([None, "churn", "fraud"]),
            ),
            min_size=1,
            max_size=6,
        ),
        max_size=4,
    )
)
def test_streamed_labels_follow_the_one_rule(tmp_path_factory, files):
    log = EventLog(LocalBlobBackend(str(tmp_path_factory.mktemp("log"))))
    _predictions(log, "churn", [("a", 0), ("b", 0), ("c", 0)])
    for rows in files:
        _labels(log, [(pid, minute, float(label), owner) for pid, minute, label, owner in rows])
    got, _ = _joined(log, "churn")
    everything = [row for rows in files for row in rows]
    expected = {pid: None for pid in "abc"}
    if everything:
        table = pa.table(
            {
                "time": pa.array([_moment(r[1]) for r in everything], TIME_TYPE),
                "prediction_id": [r[0] for r in everything],
                "label": [float(r[2]) for r in everything],
                "deployment": pa.array([r[3] for r in everything], pa.string()),
            }
        )
        rule = latest_labels(table, "churn").to_pydict()
        expected.update(zip(rule["prediction_id"], rule["label"], strict=True))
    assert {k: v[0] for k, v in got.items()} == expected
    frame = latest_feedback(log, None, "churn")
    assert dict(zip(frame["prediction_id"], frame["label"], strict=True)) == {
        k: v for k, v in expected.items() if v is not None
    }

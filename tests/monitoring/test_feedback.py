from __future__ import annotations

import datetime as dt
import time

import pandas as pd
import pytest

from loopml.errors import InvalidInput
from loopml.monitoring import UnknownPredictions
from loopml.store.predlog.feedback import list_deployments
from loopml.store.predlog.reading import latest_feedback, read_feedback
from tests.monitoring.conftest import T0, features, write_predictions


def test_log_feedback_finds_the_deployment_and_joins(monitoring, log) -> None:
    ids = write_predictions(log, features(10, 1), T0, deployment="churn")
    write_predictions(log, features(5, 2), T0, deployment="fraud", prefix="f")
    assert list_deployments(log) == ["churn", "fraud"]
    result = monitoring.log_feedback(ids[0], 1)
    assert result.written == 1
    latest = latest_feedback(log, None, "churn")
    assert latest["prediction_id"].tolist() == [ids[0]]
    assert monitoring.log_feedback("f3", "yes").written == 1  # string labels too
    stored = read_feedback(log, None).to_pylist()
    assert [r["deployment"] for r in stored] == ["churn", "fraud"]


def test_unknown_ids_error_skip_or_keep(monitoring, log) -> None:
    ids = write_predictions(log, features(3, 1), T0)
    rows = [{"prediction_id": ids[0], "label": 1}, {"prediction_id": "ghost", "label": 0}]
    with pytest.raises(UnknownPredictions, match="ghost") as err:
        monitoring.log_feedback_batch(rows)
    assert err.value.http_status == 404
    assert log.read("feedback").num_rows == 0  # nothing written on refusal
    skipped = monitoring.log_feedback_batch(rows, on_unknown="skip")
    assert (skipped.written, skipped.unknown) == (1, ("ghost",))
    kept = monitoring.log_feedback_batch(rows, on_unknown="keep")
    assert kept.written == 2


def test_duplicate_feedback_latest_wins(monitoring, log) -> None:
    ids = write_predictions(log, features(3, 1), T0)
    later = T0 + dt.timedelta(days=1)
    monitoring.log_feedback(ids[1], 0, time=later + dt.timedelta(hours=1))
    monitoring.log_feedback(ids[1], 1, time=later)  # logged after, but older
    monitoring.log_feedback(ids[2], 0, time=later)
    time.sleep(0.002)  # ties on label time go to the later write (millisecond resolution)
    monitoring.log_feedback(ids[2], 1, time=later)  # same time: the last logged wins
    latest = latest_feedback(log, None, "churn").set_index("prediction_id")["label"]
    assert latest[ids[1]] == 0
    assert latest[ids[2]] == 1


def test_bulk_feedback_from_frames_and_parquet(monitoring, log, tmp_path) -> None:
    ids = write_predictions(log, features(4, 1), T0)
    frame = pd.DataFrame(
        {"prediction_id": ids, "label": [1, 0, 1, 0], "time": [T0 + dt.timedelta(days=1)] * 4}
    )
    path = tmp_path / "labels.parquet"
    frame.to_parquet(path)
    assert monitoring.log_feedback_batch(frame).written == 4
    assert monitoring.log_feedback_batch(str(path), deployment="churn").written == 4
    with pytest.raises(InvalidInput, match="'label'"):
        monitoring.log_feedback_batch(frame.drop(columns=["label"]))
    with pytest.raises(InvalidInput, match="needs a 'label'"):
        monitoring.log_feedback_batch([{"prediction_id": ids[0], "label": None}])
    with pytest.raises(InvalidInput, match="on_unknown"):
        monitoring.log_feedback(ids[0], 1, on_unknown="maybe")


def test_performance_per_model_version_and_shadow(monitoring, log) -> None:
    served = write_predictions(log, features(200, 1), T0, version=1, seed=1)
    shadow = write_predictions(
        log, features(200, 1), T0, version=2, prefix="s", shadow=True, seed=2
    )
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in served + shadow])
    frame = monitoring.performance("churn")
    rows = {
        (None if pd.isna(r.model_version) else r.model_version, r.shadow): r
        for r in frame.itertuples()
    }
    assert set(rows) == {(None, False), (1, False), (2, True)}
    assert rows[(None, False)].labelled == 200  # shadow rows are not served rows
    assert rows[(2, True)].labelled == 200
    assert 0 < rows[(1, False)].accuracy < 1

"""lm.log_predictions: batch predictions made elsewhere join the prediction log."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

import loopml as lm
from loopml.errors import InvalidInput


def test_logged_predictions_are_monitored_and_labelled(sqlite_client) -> None:
    start = dt.datetime(2026, 1, 5, 8, tzinfo=dt.UTC)
    frame = pd.DataFrame(
        {
            "age": [30, 40, 50, 60],
            "income": [1.0, 2.0, 3.0, 4.0],
            "prediction": [1.0, 0.0, 1.0, 0.0],
            "score": [0.9, 0.2, 0.7, 0.4],
            "time": [start + dt.timedelta(minutes=i) for i in range(4)],
        }
    )
    ids = lm.log_predictions("batch", frame, score="score", time="time", model_version=3)
    assert len(set(ids)) == 4
    lm.log_feedback_batch([{"prediction_id": i, "label": 1} for i in ids])
    logged = sqlite_client.serving.predictions("batch", with_feedback=True)
    assert sorted(logged["prediction_id"]) == sorted(ids)
    assert set(logged["age"]) == {30, 40, 50, 60}
    assert logged["label"].tolist() == [1, 1, 1, 1]
    perf = lm.get_performance("batch")
    assert int(perf["labelled"].max()) == 4


def test_bad_columns_are_refused_and_nothing_is_written(sqlite_client) -> None:
    frame = pd.DataFrame({"x": [1.0], "pred": [0.0]})
    with pytest.raises(InvalidInput, match=r"\['prediction'\] not in the data"):
        lm.log_predictions("batch", frame)
    with pytest.raises(InvalidInput, match="one input column"):
        lm.log_predictions("batch", frame[["pred"]], prediction="pred")
    assert sqlite_client.serving.predictions("batch").empty

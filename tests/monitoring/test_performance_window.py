"""get_performance reads look-backs such as "10m" as well as datetimes and ISO texts."""

from __future__ import annotations

import datetime as dt

import pytest

from loopml.errors import InvalidInput
from tests.monitoring.conftest import T0, features, write_predictions


def test_since_accepts_a_look_back(monitoring, log) -> None:
    old = write_predictions(log, features(20, 1), T0, version=1, seed=1)
    recent_time = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=2)).replace(microsecond=0)
    recent = write_predictions(log, features(30, 1), recent_time, version=1, prefix="r", seed=2)
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in old + recent])
    everything = monitoring.performance("churn")
    last_ten_minutes = monitoring.performance("churn", since="10m")
    assert int(everything["labelled"].max()) == 50
    assert int(last_ten_minutes["labelled"].max()) == 30
    as_text = monitoring.performance("churn", since=recent_time.isoformat(), until="0s")
    assert int(as_text["labelled"].max()) == 30


@pytest.mark.parametrize("bad", ["yesterday", "10 parsecs", True])
def test_a_bad_time_is_invalid_input_naming_the_argument(monitoring, log, bad) -> None:
    write_predictions(log, features(3, 1), T0)
    with pytest.raises(InvalidInput, match="since: cannot read"):
        monitoring.performance("churn", since=bad)

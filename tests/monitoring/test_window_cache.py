"""Monitor windows read the prediction log and feedback through the event-file cache."""

from __future__ import annotations

import datetime as dt
import os
import time

from loopml.monitoring import Monitor
from loopml.store.event_cache import RACY_S, CachedEventFiles
from loopml.store.streams import FEEDBACK_STREAM, predictions_stream
from tests.monitoring.conftest import T0, features, write_predictions

MINUTE = dt.timedelta(minutes=1)


def _age_event_files(log) -> int:
    """Date every event file back, as files are a few seconds after being written."""
    old = time.time() - 10 * RACY_S
    keys = log.keys(predictions_stream("churn")) + log.keys(FEEDBACK_STREAM)
    for key in keys:
        os.utime(log.backend.local_path(key), (old, old))
    return len(keys)


def test_a_second_evaluation_of_a_window_reads_no_event_file_again(monitoring, log) -> None:
    monitoring.save(Monitor("churn", reference=features(500, 1), window="1m"))
    ids = []
    for part in range(3):  # three prediction-log files in the window
        start = T0 + dt.timedelta(seconds=10 * part)
        ids += write_predictions(log, features(5, part), start, prefix=f"p{part}-", seed=part)
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in ids])
    files = _age_event_files(log)
    assert files >= 4
    view = monitoring.log.backend
    assert isinstance(view, CachedEventFiles)

    first = monitoring.run("churn", at=T0 + MINUTE)
    read = view.misses
    assert read >= files  # every file of the window (and feedback) read once
    second = monitoring.run("churn", at=T0 + MINUTE)
    assert view.misses == read  # nothing read again
    assert view.hits >= files
    assert (first.status, second.status) == ("ok", "ok")
    assert second.rows == first.rows == 15
    assert second.metrics == first.metrics

    write_predictions(log, features(2, 9), T0 + 50 * dt.timedelta(seconds=1), prefix="q", seed=9)
    third = monitoring.run("churn", at=T0 + MINUTE)
    assert third.rows == 17  # the new file is seen
    assert view.misses == read + 1

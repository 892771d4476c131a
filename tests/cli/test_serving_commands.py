from __future__ import annotations

import json
import time

import numpy as np
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.serving.predlog import Entry, IdSource, PredictionLog
from loopml.store.events import EventLog

runner = CliRunner()


def test_predictions_lists_the_log_with_feedback(sqlite_client: lm.Client) -> None:
    log = EventLog.from_store(sqlite_client.store)
    writer = PredictionLog(lambda: log, "churn")
    ids = IdSource().take(3)
    x = np.arange(6, dtype=float).reshape(3, 2)
    now = int(time.time() * 1000)
    writer.record(
        Entry(
            ids, now, "churn", 2, 1.5, x, np.array([0, 1, 1]), None, False, ("a", "b"), ("f", "f")
        )
    )
    writer.flush()
    client = sqlite_client
    from loopml.store.streams import append_feedback

    append_feedback(EventLog.from_store(client.store), [{"prediction_id": ids[1], "label": 1}])
    result = runner.invoke(app, ["predictions", "churn", "--since", "1h", "--feedback", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.output)
    assert [r["prediction_id"] for r in rows] == ids
    assert rows[1]["label"] == 1.0
    assert rows[0]["label"] is None
    assert rows[2]["a"] == 4.0
    table = runner.invoke(app, ["predictions", "churn", "-n", "2"])
    assert table.exit_code == 0
    assert "2 prediction(s) of churn" in table.output


def test_serve_rejects_bad_options_before_loading(sqlite_client: lm.Client) -> None:
    result = runner.invoke(app, ["serve", "churn@champion", "--canary", "churn@challenger"])
    assert result.exit_code != 0
    assert "percentage" in str(result.exception)

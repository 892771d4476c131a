from __future__ import annotations

import json
import time

import numpy as np
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.store.events import EventLog
from loopml.store.predlog.writer import Entry, IdSource, PredictionLog

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


def _register(name: str = "churn"):
    import pandas as pd
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(200, 3)), columns=["a", "b", "c"])
    model = LogisticRegression().fit(x, (x["a"] > 0).astype(int))
    with lm.start_run("cli") as run:
        ref = run.log_model(model, "model", example=x.head(5))
    version = lm.register_model(ref, name)
    lm.set_alias(name, "champion", version.version)
    return x, model


def test_predict_scores_a_file_with_a_registered_model(sqlite_client: lm.Client, tmp_path) -> None:
    import pandas as pd

    x, model = _register()
    x.to_csv(tmp_path / "in.csv", index=False)
    out = tmp_path / "scored.parquet"
    result = runner.invoke(
        app,
        ["predict", "churn@champion", "-i", str(tmp_path / "in.csv"), "-o", str(out), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["rows"] == 200
    scored = pd.read_parquet(out)
    assert list(scored["prediction"]) == list(model.predict(x))


def test_predict_without_json_shows_progress_and_writes_keys_and_predictions(
    sqlite_client: lm.Client, tmp_path
) -> None:
    import pandas as pd

    x, _model = _register()
    x.assign(customer=range(len(x))).to_parquet(tmp_path / "in.parquet")
    out = tmp_path / "scored.parquet"
    args = ["predict", "churn@champion", "-i", str(tmp_path / "in.parquet"), "-o", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "scored 200 rows" in result.output
    assert list(pd.read_parquet(out).columns) == ["customer", "prediction"]
    assert runner.invoke(app, [*args, "--inputs"]).exit_code == 0
    assert list(pd.read_parquet(out).columns) == ["a", "b", "c", "customer", "prediction"]
    assert runner.invoke(app, [*args, "--key", "customer", "--key", "a"]).exit_code == 0
    assert list(pd.read_parquet(out).columns) == ["customer", "a", "prediction"]


def test_serve_runs_a_real_server_and_flushes_the_log_on_shutdown(
    sqlite_client: lm.Client, tmp_path
) -> None:
    import os
    import signal
    import subprocess
    import sys
    from pathlib import Path

    import httpx

    from tests.serving.conftest import free_port

    x, model = _register()
    port = free_port()
    env = {
        **os.environ,
        "LOOPML_HOME": str(sqlite_client.settings.home),
        "LOOPML_DB_URL": sqlite_client.settings.db_url,
        "LOOPML_ARTIFACTS": sqlite_client.settings.artifacts,
    }
    exe = Path(sys.executable).with_name("loopml")
    started = time.perf_counter()
    proc = subprocess.Popen(
        [str(exe), "serve", "churn@champion", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = {"records": x.head(2).to_dict(orient="records")}
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            assert time.perf_counter() - started < 120, "no answer within 120 s"
            try:
                reply = httpx.post(f"http://127.0.0.1:{port}/predict", json=body)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        assert reply.json()["predictions"] == list(model.predict(x.head(2)))
        ids = reply.json()["prediction_ids"]
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        announced = proc.stdout.read() if proc.stdout else ""
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()
    url = f"http://127.0.0.1:{port}"
    assert f"serving churn version 1 (deployment churn) on {url}" in announced
    assert f"{url}/docs" in announced
    frame = lm.predictions("churn")
    assert list(frame["prediction_id"]) == ids


def test_serve_runs_in_a_slim_app_that_reads_like_the_full_one() -> None:
    from loopml.cli.main import app_for

    slim = app_for(["serve", "churn@champion"])
    assert slim is not app
    assert [info.name for info in slim.registered_commands] == ["serve"]
    assert app_for(["models", "list"]) is app  # a command group: the full app
    assert app_for(["--help"]) is app
    assert app_for([]) is app
    for args in (["serve", "--help"], ["serve"], ["serve", "x", "--port", "abc"]):
        full, lean = runner.invoke(app, args), runner.invoke(slim, args)
        assert (lean.exit_code, lean.output) == (full.exit_code, full.output)
    version = runner.invoke(slim, ["--version"])
    assert version.exit_code == 0
    assert "loopml" in version.output

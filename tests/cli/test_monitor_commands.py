from __future__ import annotations

import datetime as dt
import json
import re
from xml.etree import ElementTree

from prometheus_client.parser import text_string_to_metric_families
from typer.testing import CliRunner

import loopml as lm
from loopml.cli.main import app
from loopml.store.events import EventLog
from tests.monitoring.conftest import T0, features, write_predictions

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_monitor_lifecycle_from_the_command_line(sqlite_client: lm.Client, tmp_path) -> None:
    reference = tmp_path / "reference.parquet"
    features(2000, 1).to_parquet(reference)
    log = EventLog.from_store(sqlite_client.store)
    ids = write_predictions(log, features(500, 2, shift=1.0), T0)
    labels = tmp_path / "labels.csv"
    labels.write_text(
        "prediction_id,label\n" + "".join(f"{i},1\n" for i in ids[:100]) + "ghost,0\n"
    )

    out = json.loads(
        invoke(
            "monitor",
            "create",
            "churn",
            "-r",
            str(reference),
            "--rule",
            "drift.share > 0.3:critical",
            "--json",
        )
    )
    assert out["rules"][0]["severity"] == "critical"
    assert "churn" in invoke("monitor", "list")
    assert "reference columns" in invoke("monitor", "show", "churn")

    result = runner.invoke(app, ["monitor", "feedback", str(labels)])
    assert isinstance(result.exception, lm.LoopmlError)  # main() prints it and exits 1
    assert "ghost" in str(result.exception)
    assert "logged 100 label(s); skipped 1" in invoke(
        "monitor", "feedback", str(labels), "--on-unknown", "skip"
    )

    end = (T0 + dt.timedelta(hours=1)).isoformat()
    body = json.loads(invoke("monitor", "run", "churn", "--at", end, "--json"))
    assert body[0]["status"] == "ok"
    assert body[0]["labelled"] == 100
    assert set(body[0]["detail"]["drift"][0]) >= {"column", "p_value", "drifted"}

    alerts = json.loads(invoke("monitor", "alerts", "--json"))
    assert [a["rule"] for a in alerts] == ["drift.share > 0.3"]
    families = {f.name for f in text_string_to_metric_families(invoke("monitor", "metrics"))}
    assert "loopml_monitor_drift_share" in families

    html_path = tmp_path / "report.html"
    window = f"{(dt.datetime.now(dt.UTC) - T0).days + 2}d"
    printed = invoke("monitor", "report", "churn", "--window", window, "--out", str(html_path))
    assert "drift share" in printed
    html = html_path.read_text()
    assert "<svg" in html
    assert "Distributions: reference vs current (drifted columns)" in html
    assert "http" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")  # no CDN
    charts = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    assert len(charts) >= 4  # two distributions, drift share and rows over time
    for chart in charts:
        ElementTree.fromstring(chart)  # well-formed

    assert "deleted 1 window result(s)" in invoke("monitor", "prune", "--older-than", "1d")
    invoke("monitor", "pause", "churn")
    invoke("monitor", "resume", "churn")
    invoke("monitor", "delete", "churn", "--yes")
    assert json.loads(invoke("monitor", "list", "--json")) == []


def test_drift_between_two_files(tmp_path) -> None:
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.parquet"
    features(1000, 1).to_csv(ref, index=False)
    features(1000, 2, shift=1.0).to_parquet(cur)
    body = json.loads(invoke("monitor", "drift", str(ref), str(cur), "--json"))
    assert sorted(body["drifted"]) == ["age", "plan"]
    assert "2 of 3 column(s) drifted" in invoke("monitor", "drift", str(ref), str(cur))


def test_metrics_port_serves_the_gauges(sqlite_client: lm.Client) -> None:
    import socket

    import httpx

    from loopml.cli.monitor import _serve_metrics

    lm.save_monitor(lm.Monitor("m", reference=features(200, 1)))
    lm.run_monitor("m", at=T0, current=features(100, 2))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = _serve_metrics(port)
    try:
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    finally:
        server.shutdown()
        server.server_close()
    samples = {s.name: s for f in text_string_to_metric_families(text) for s in f.samples}
    assert samples["loopml_monitor_window_rows"].value == 100

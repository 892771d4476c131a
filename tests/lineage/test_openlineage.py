from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

import loopml as lm
from loopml.errors import ConfigError
from loopml.lineage.openlineage import open_transport
from tests.lineage.openlineage_model import check_event


class Collector:
    """A real OpenLineage HTTP collector on 127.0.0.1 (a free port)."""

    def __init__(self) -> None:
        self.events: list[dict] = []
        received = self.events

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path != "/api/v1/lineage":
                    self.send_response(404)
                    self.end_headers()
                    return
                body = self.rfile.read(int(self.headers["Content-Length"]))
                received.append(json.loads(body))
                self.send_response(201)
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/api/v1/lineage"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector():
    server = Collector()
    yield server
    server.close()


def _client(tmp_path, url: str) -> lm.Client:
    return lm.configure(home=str(tmp_path / "home"), openlineage_url=url)


def _train_and_register() -> tuple[str, str]:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=40), "y": rng.integers(0, 2, 40)})
    with lm.start_run("ol", name="train") as run:
        used = lm.log_dataset(frame, "ol-data", run=run)
        model = LogisticRegression().fit(frame[["x"]], frame["y"])
        with lm.start_run(name="child"):
            pass
        ref = run.log_model(model, "model", example=frame[["x"]][:3])
        lm.register_model(ref, "ol-model")
    return run.id, used.digest


def test_tracked_runs_send_start_and_complete_to_an_http_collector(tmp_path, collector):
    client = _client(tmp_path, collector.url)
    run_id, digest = _train_and_register()
    with pytest.raises(RuntimeError), lm.start_run("ol", name="broken"):
        raise RuntimeError("boom")
    client.close()
    for event in collector.events:
        check_event(event)
    by_run: dict[str, list[str]] = {}
    for event in collector.events:
        by_run.setdefault(event["run"]["runId"], []).append(event["eventType"])
    assert sorted(map(tuple, by_run.values())) == [
        ("START", "COMPLETE"),
        ("START", "COMPLETE"),
        ("START", "FAIL"),
    ]
    complete = next(
        e
        for e in collector.events
        if e["eventType"] == "COMPLETE" and e["run"]["runId"].replace("-", "") == run_id
    )
    assert complete["job"]["name"] == "ol"
    [data] = complete["inputs"]
    assert data["name"] == "datasets/ol-data"
    assert data["facets"]["version"]["datasetVersion"] == digest
    assert {f["name"] for f in data["facets"]["schema"]["fields"]} == {"x", "y"}
    names = {o["name"] for o in complete["outputs"]}
    assert "models/ol-model" in names
    child = next(e for e in collector.events if e["run"]["facets"].get("parent"))
    assert child["run"]["facets"]["parent"]["run"]["runId"].replace("-", "") == run_id
    failed = next(e for e in collector.events if e["eventType"] == "FAIL")
    assert "boom" in failed["run"]["facets"]["errorMessage"]["message"]


def test_pipeline_runs_and_steps_emit_to_a_file(tmp_path):
    folder = tmp_path / "ol"
    client = _client(tmp_path, f"file://{folder}")

    @lm.step
    def load() -> pd.DataFrame:
        return pd.DataFrame({"a": [1, 2, 3]})

    @lm.step
    def total(frame: pd.DataFrame) -> int:
        return int(frame["a"].sum())

    @lm.pipeline
    def adding():
        return total(load())

    adding.run()
    client.close()
    events = [json.loads(line) for line in (folder / "openlineage.jsonl").read_text().splitlines()]
    for event in events:
        check_event(event)
    jobs = {(e["job"]["name"], e["eventType"]) for e in events}
    assert ("adding", "START") in jobs
    assert ("adding", "COMPLETE") in jobs
    assert ("adding.load", "START") in jobs
    assert ("adding.total", "COMPLETE") in jobs
    load_done = next(
        e for e in events if e["job"]["name"] == "adding.load" and e["eventType"] == "COMPLETE"
    )
    total_start = next(
        e for e in events if e["job"]["name"] == "adding.total" and e["eventType"] == "START"
    )
    produced = {o["name"] for o in load_done["outputs"]}
    assert produced
    assert produced == {i["name"] for i in total_start["inputs"]}
    assert load_done["run"]["facets"]["parent"]["job"]["name"] == "adding"


def test_console_transport_writes_json_lines(tmp_path, capsys):
    client = _client(tmp_path, "console")
    with lm.start_run("console"):
        pass
    client.close()
    lines = [
        json.loads(line) for line in capsys.readouterr().err.splitlines() if line.startswith("{")
    ]
    assert [e["eventType"] for e in lines] == ["START", "COMPLETE"]
    for event in lines:
        check_event(event)


def test_unset_registers_nothing_and_bad_urls_are_refused(tmp_path):
    client = lm.configure(home=str(tmp_path / "home"))
    assert client.store.hooks == []
    with pytest.raises(ConfigError, match="file:///folder"):
        open_transport("ftp://nowhere")


def test_an_unreachable_collector_never_breaks_a_run(tmp_path, caplog):
    client = _client(tmp_path, "http://127.0.0.1:9/api/v1/lineage")
    with lm.start_run("down") as run:
        run.log_metric("m", 1.0)
    assert lm.get_run(run.id).status == "FINISHED"
    assert "lifecycle listener" in caplog.text
    client.close()

"""The first ``/metrics`` scrape of a model server stays light: no SciPy, no pandas.

A fresh process builds a server over a registered model and scrapes ``/metrics`` once;
the modules that scrape imports (serving's and monitoring's collectors) must not include
SciPy or pandas, which would stall the first scrape for seconds on a busy host.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import loopml as lm
from tests.store_env import store_env

ROOT = Path(__file__).resolve().parents[2]

SCRAPE = """
import asyncio, json, sys
import httpx
import loopml as lm

built = lm.build_server("echo@champion", poll_interval=0)
before = set(sys.modules)

async def scrape():
    transport = httpx.ASGITransport(app=built.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        return await client.get("/metrics")

response = asyncio.run(scrape())
new = sorted(set(sys.modules) - before)
print(json.dumps({"status": response.status_code, "text": response.text, "new": new}))
"""


class Echo(lm.PythonModel):
    def predict(self, context, df):
        return [1.0] * len(df)


def _serve_echo_from_children(client, monkeypatch, run_name: str) -> None:
    """Register ``echo@champion`` and point child processes at the client's store."""
    with lm.start_run(run_name) as run:
        ref = run.log_model(Echo(), "model")
    lm.register_model(ref, "echo")
    lm.set_alias("echo", "champion", 1)
    for name, value in store_env(client.settings).items():
        monkeypatch.setenv(name, value)


def test_first_metrics_scrape_imports_neither_scipy_nor_pandas(sqlite_client, monkeypatch):
    _serve_echo_from_children(sqlite_client, monkeypatch, "metrics")
    done = subprocess.run(
        [sys.executable, "-c", SCRAPE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["status"] == 200
    assert "loopml_serving_requests_total" in result["text"] or "process_cpu" in result["text"]
    # the client handed the server monitoring's collector, and the scrape ran it
    assert "loopml.monitoring.prometheus" in result["new"]
    heavy = [m for m in result["new"] if m.split(".")[0] in {"scipy", "pandas"}]
    assert heavy == []


BUILD = """
import json, sys
import loopml as lm

lm.build_server("echo@champion", poll_interval=0)
print(json.dumps(sorted(sys.modules)))
"""


def test_building_a_server_loads_neither_tracking_nor_housekeeping_nor_pyarrow(
    sqlite_client, monkeypatch
):
    # cold start: `loopml serve` needs the registry and the model, not run tracking, the
    # garbage collector of the store or pyarrow (the prediction log imports it on its
    # first flush, feedback on its first request)
    _serve_echo_from_children(sqlite_client, monkeypatch, "cold")
    done = subprocess.run(
        [sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True, text=True, check=True
    )
    loaded = set(json.loads(done.stdout.strip().splitlines()[-1]))
    for module in ("loopml.tracking.api", "loopml.store.housekeeping", "pyarrow.parquet"):
        assert module not in loaded, module
    from loopml.store.predlog.writer import PREDICTIONS_PREFIX
    from loopml.store.streams import PREDICTIONS_PREFIX as STREAMS_PREFIX

    assert PREDICTIONS_PREFIX == STREAMS_PREFIX

"""``loopml serve --workers 2``: one port, two processes, one metrics view, one log.

A real ``loopml serve`` subprocess over a SQLite store with two registered versions:
requests spread over both workers, ``/metrics`` on either worker sums both, a hot swap
reaches every worker, hash canary routing agrees across workers, every prediction lands
in the log once, and the metrics folder is removed when the server stops.
"""

from __future__ import annotations

import concurrent.futures
import glob
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import numpy as np
import pandas as pd
import pytest
from prometheus_client.parser import text_string_to_metric_families

import loopml as lm
from loopml.serving.multiprocess import snapshot_samples
from tests.store_env import store_env

from .conftest import free_port

pytest.importorskip("loopml.models")

COLUMNS = ["a", "b", "c"]


@pytest.fixture
def registered(sqlite_client):
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(0)
    x = pd.DataFrame(rng.normal(size=(200, 3)), columns=COLUMNS)
    y = (x["a"] > 0).astype(int)
    versions = []
    for c in (1.0, 0.01):
        with lm.start_run("workers-test") as run:
            ref = run.log_model(LogisticRegression(C=c).fit(x, y), "model", example=x.head(5))
        versions.append(lm.register_model(ref, "churn").version)
    lm.set_alias("churn", "champion", versions[0])
    lm.set_alias("churn", "challenger", versions[1])
    return sqlite_client.settings, x, versions


class WorkersServer:
    """``loopml serve ... --workers N`` in a subprocess on a free port."""

    def __init__(self, settings, tmp: Path, *args: str) -> None:
        self.port = free_port()
        self.tmp = tmp
        self.workers = int(args[args.index("--workers") + 1])
        env = {
            **os.environ,
            **store_env(settings),
            "TMPDIR": str(tmp),
            "PYTHONPATH": os.pathsep.join(sys.path),
        }
        command = [sys.executable, "-m", "loopml.cli.main", "serve", *args]
        command += ["--port", str(self.port)]
        self.log = tmp / f"serve-{self.port}.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [*command, "--poll-interval", "0.1"], env=env, stdout=out, stderr=out
            )
        self.url = f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> WorkersServer:
        try:
            return self._wait()
        except BaseException:
            self.__exit__(None, None, None)
            raise

    def _wait(self) -> WorkersServer:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            # every worker writes its metrics files when it has started
            started = glob.glob(str(self.tmp / "loopml-metrics-*" / "counter_*.db"))
            if len(started) == self.workers and self._ready():
                return self
            time.sleep(0.2)
        raise AssertionError("the multi-worker server did not become ready")

    def _ready(self) -> bool:
        try:
            return httpx.get(f"{self.url}/v2/health/ready", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def __exit__(self, *exc) -> None:
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def post(self, body, headers=None) -> dict:
        # A new connection per request, so that the kernel spreads them over the workers.
        reply = httpx.post(f"{self.url}/predict", json=body, headers=headers, timeout=30)
        assert reply.status_code == 200, reply.text
        return reply.json()

    def metrics(self) -> dict:
        text = httpx.get(f"{self.url}/metrics", timeout=30).text
        return {
            (s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text)
            for s in family.samples
        }

    def metrics_dirs(self) -> list[str]:
        return glob.glob(str(self.tmp / "loopml-metrics-*"))


def _requests_total(samples: dict) -> float:
    return sum(
        value
        for (name, labels), value in samples.items()
        if name == "loopml_serving_requests_total" and ("endpoint", "predict") in labels
    )


@pytest.mark.timeout(900)  # two server processes start; slow on a loaded machine
def test_two_workers_share_the_port_metrics_routing_swaps_and_log(registered, tmp_path) -> None:
    settings, x, versions = registered
    records = x.head(2).to_dict(orient="records")
    args = ("churn@champion", "--workers", "2", "--canary", "churn@challenger:50")
    with WorkersServer(settings, tmp_path, *args) as server:

        def ask(key: str) -> tuple[str, int]:
            reply = server.post({"records": records}, headers={"x-routing-key": key})
            return key, reply["model_version"]

        # hash canary routing: a key sticks to one version whichever worker answers
        seen: dict[str, set[int]] = {}
        keys = [f"customer-{i}" for i in range(24)] * 5
        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            for key, version in pool.map(ask, keys):
                seen.setdefault(key, set()).add(version)
        assert all(len(v) == 1 for v in seen.values()), seen
        assert {next(iter(v)) for v in seen.values()} == set(versions)

        # one private metrics folder; both workers answered; /metrics sums them
        (folder,) = server.metrics_dirs()
        deadline = time.monotonic() + 15
        while _requests_total(server.metrics()) != len(keys):  # snapshots are <= 0.5 s old
            assert time.monotonic() < deadline, server.metrics()
            time.sleep(0.2)
        per_worker = _per_worker_requests(folder)
        assert len(per_worker) == 2, per_worker
        assert all(count > 0 for count in per_worker.values()), per_worker

        # a hot swap reaches every worker: champion -> the challenger's version
        lm.set_alias("churn", "champion", versions[1])
        deadline = time.monotonic() + 120
        streak = sent = 0
        answers = []
        while streak < 30:
            assert time.monotonic() < deadline, answers
            answers.append(ask(f"k{sent}")[1])
            streak = streak + 1 if answers[-1] == versions[1] else 0
            sent += 1
        time.sleep(1.0)  # every worker's snapshot is newer than its swap
        info = server.metrics()
        assert info[_info_key(versions[1])] == 1.0
        assert info.get(_info_key(versions[0]), 0.0) == 0.0
    assert server.process.returncode is not None
    assert server.metrics_dirs() == [], "the metrics folder was not removed"

    logged = lm.predictions("churn", limit=100_000)
    assert len(logged) == 2 * (len(keys) + sent)  # every row of every worker, once
    assert logged["prediction_id"].is_unique


def _info_key(version: int) -> tuple:
    labels = {"deployment": "churn", "model": "churn", "route": "primary",
              "model_version": str(version)}  # fmt: skip
    return ("loopml_serving_model_info", tuple(sorted(labels.items())))


def _per_worker_requests(folder: str) -> dict[str, float]:
    from prometheus_client.multiprocess import MultiProcessCollector

    counts = {}
    for path in glob.glob(os.path.join(folder, "counter_*.db")):
        merged = MultiProcessCollector.merge([path])
        counts[path] = _requests_total(
            {
                (s.name, tuple(sorted(s.labels.items()))): s.value
                for family in merged
                for s in family.samples
            }
        )
    return counts


def test_snapshot_stores_histogram_buckets_per_bucket() -> None:
    from prometheus_client.core import HistogramMetricFamily

    family = HistogramMetricFamily("lat", "latency", labels=["d"])
    family.add_metric(["x"], [("0.1", 2.0), ("1.0", 5.0), ("+Inf", 6.0)], 3.5)
    entries = snapshot_samples([family])["histogram"]
    values = sorted(entries.values())
    assert values == [1.0, 2.0, 3.0, 3.5]  # 2, 5-2, 6-5 and the sum

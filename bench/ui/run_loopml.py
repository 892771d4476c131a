"""Web UI page-ready times with 10,000 runs in the store (prints JSON).

Seeds a store with ``--runs`` runs (params and metrics, across 5 experiments) plus a model,
a pipeline, feature views, prediction traffic and a monitor, serves it with uvicorn on
127.0.0.1, then times every page two ways:

* ``server_ms``: the HTTP request from first byte sent to last byte received (httpx),
* ``browser_ms``: in headless Chromium (when LOOPML_TEST_CHROMIUM is set), from navigation
  start to the page being ready (``body[data-ready]`` set and every chart drawn).

``--smoke`` runs a tiny store once (CI); the goal is every page ready in < 300 ms.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import uvicorn

import loopml as lm
from loopml.server.app import create_app

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.server.ui.seed import Seeded, seed  # noqa: E402

if TYPE_CHECKING:
    from fastapi import FastAPI

GOAL_MS = 300.0
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]  # fmt: skip


def many_runs(n: int) -> None:
    """Log ``n`` runs with 3 params and 4 metrics each over 5 experiments."""
    for i in range(n):
        experiment = f"sweep-{i % 5}"
        params = {"lr": 10 ** -(i % 4), "depth": i % 9, "model": ("gbm", "linear")[i % 2]}
        with lm.start_run(experiment, name=f"r{i}", params=params, capture=False) as run:
            run.log_metrics(
                {"auc": (i % 997) / 997, "loss": 1 / (1 + i % 50), "f1": (i % 89) / 89,
                 "rows": float(i)}
            )  # fmt: skip


def serve(app: FastAPI) -> tuple[uvicorn.Server, threading.Thread, str]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.02)
    return server, thread, f"http://127.0.0.1:{sock.getsockname()[1]}"


def pages(seeded: Seeded) -> dict[str, str]:
    """The pages to time, by name (paths into the seeded objects)."""
    first, second, third = seeded.run_ids
    return {
        "experiments": "/ui/experiments",
        "runs": "/ui/runs",
        "runs_sorted": "/ui/runs?experiment=sweep-1&order=metrics.auc+desc",
        "runs_filtered": "/ui/runs?filter=metrics.auc+%3E+0.5+and+params.model+%3D+%27gbm%27",
        "run": f"/ui/runs/{first}",
        "compare": f"/ui/compare?run={first}&run={second}&run={third}",
        "models": "/ui/models",
        "model": "/ui/models/churn",
        "pipelines": "/ui/pipelines",
        "pipeline_run": f"/ui/pipelines/runs/{seeded.pipeline_run_id}",
        "features": "/ui/features",
        "deployments": "/ui/deployments",
        "monitors": "/ui/monitors",
        "monitor": "/ui/monitors/churn",
        "audit": "/ui/audit",
    }


def time_server(base: str, paths: dict[str, str], repeat: int) -> dict[str, dict[str, float]]:
    out = {}
    with httpx.Client(base_url=base, timeout=60) as http:
        for name, path in paths.items():
            http.get(path).raise_for_status()  # warm: templates compiled, caches filled
            samples = []
            for _ in range(repeat):
                start = time.perf_counter()
                http.get(path).raise_for_status()
                samples.append((time.perf_counter() - start) * 1000)
            out[name] = _stats(samples)
    return out


def time_browser(
    base: str, paths: dict[str, str], repeat: int
) -> dict[str, dict[str, dict[str, float]]]:
    """Per page, in headless Chromium, ms from navigation start (the page's own timings).

    ``response`` (last byte of the HTML), ``dcl`` (DOMContentLoaded: scripts ran, charts
    drawn, ``body[data-ready]`` set), ``load`` and ``paint`` (first contentful paint) come
    from Navigation and Paint Timing; ``harness_ready`` is wall time in this script from
    ``goto`` until Playwright sees ``body[data-ready]`` and every chart (it adds the previous
    page's unload and the DevTools round trips). The first visit warms the static-file cache.
    """
    from playwright.sync_api import sync_playwright

    ready = (
        "document.body.dataset.ready === '1' && document.querySelectorAll('.uplot').length >= "
        "document.querySelectorAll('script.chart-data').length"
    )
    timing = (
        "(() => { const n = performance.getEntriesByType('navigation')[0];"
        " const p = performance.getEntriesByName('first-contentful-paint')[0];"
        " return [n.responseEnd, n.domContentLoadedEventEnd, n.loadEventEnd,"
        " p ? p.startTime : -1]; })()"
    )
    out: dict[str, dict[str, dict[str, float]]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=os.environ["LOOPML_TEST_CHROMIUM"], args=ARGS
        )
        page = browser.new_page()
        for name, path in paths.items():
            samples: dict[str, list[float]] = {
                "response": [], "dcl": [], "load": [], "paint": [], "harness_ready": []
            }  # fmt: skip
            for i in range(repeat + 1):
                start = time.perf_counter()
                page.goto(base + path, wait_until="load")
                page.wait_for_function(ready, polling=5)
                elapsed = (time.perf_counter() - start) * 1000
                response, dcl, loaded, paint = page.evaluate(timing)
                if i:
                    samples["harness_ready"].append(elapsed)
                    samples["response"].append(response)
                    samples["dcl"].append(dcl)
                    samples["load"].append(loaded)
                    if paint >= 0:
                        samples["paint"].append(paint)
            out[name] = {key: _stats(values) for key, values in samples.items() if values}
        browser.close()
    return out


def _stats(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50": round(statistics.median(ordered), 1),
        "p95": round(ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))], 1),
        "max": round(ordered[-1], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--smoke", action="store_true", help="tiny store, one repeat")
    parser.add_argument("--home", help="reuse a seeded folder (seeded on first use)")
    options = parser.parse_args()
    if options.smoke:
        options.runs, options.repeat = 20, 1
    folder = Path(options.home or tempfile.mkdtemp(prefix="loopml-bench-ui-"))
    fresh = not (folder / "loopml.db").exists()
    client = lm.configure(
        home=str(folder / "home"), db_url=f"sqlite:///{folder}/loopml.db",
        artifacts=str(folder / "artifacts"),
    )  # fmt: skip
    seed_start = time.perf_counter()
    with contextlib.redirect_stdout(sys.stderr):  # steps print; stdout is for the JSON
        if fresh:
            seeded = seed(client, folder)
            many_runs(options.runs)
            (folder / "seeded.json").write_text(json.dumps(dataclasses.asdict(seeded)))
        else:
            seeded = Seeded(**json.loads((folder / "seeded.json").read_text()))
    seed_s = time.perf_counter() - seed_start
    app = create_app(client)
    server, thread, base = serve(app)
    paths = pages(seeded)
    try:
        load_before = os.getloadavg()
        server_ms = time_server(base, paths, options.repeat)
        worst = max(v["p50"] for v in server_ms.values())
        result: dict[str, object] = {
            "bench": "ui_pages",
            "runs_in_store": client.runs.count_runs(),
            "seed_s": round(seed_s, 1),
            "repeat": options.repeat,
            "goal_ms": GOAL_MS,
            "server_ms": server_ms,
            "load_average": load_before,
        }
        if os.environ.get("LOOPML_TEST_CHROMIUM"):
            browser_ms = time_browser(base, paths, max(3, options.repeat // 4))
            result["browser_ms"] = browser_ms
            for page_times in browser_ms.values():
                worst = max(worst, page_times["dcl"]["p50"], page_times["load"]["p50"])
        result["worst_p50_ms"] = worst
        result["all_under_goal"] = worst < GOAL_MS
        result["load_average_after"] = os.getloadavg()
        print(json.dumps(result, indent=2))
    finally:
        server.should_exit = True
        thread.join(10)
        client.close()


if __name__ == "__main__":
    main()

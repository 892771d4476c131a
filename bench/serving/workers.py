"""Multi-worker serving: throughput of ``loopml serve --workers N`` for N = 1, 2.

Registers a model on 20 float features in a fresh home (``--model lr``: a
LogisticRegression, ``hgb``: a HistGradientBoostingClassifier), then for each N
(interleaved, ``--repeat`` rounds) starts ``loopml serve --workers N``, waits until every
worker is up, and drives single-row JSON POSTs at ``--concurrency`` for ``--duration``
seconds from a raw asyncio HTTP/1.1 client (closed loop, keep-alive). Prints one JSON
line per measurement (rps, p50/p99 ms, errors, load average) and a summary line with
the median ratio.

    .venv/bin/python bench/serving/workers.py --duration 15 --repeat 2
    .venv/bin/python bench/serving/workers.py --smoke
"""

from __future__ import annotations

import argparse
import asyncio
import glob
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FEATURES = 20


ESTIMATORS = {
    "lr": "sklearn.linear_model:LogisticRegression()",
    "hgb": "sklearn.ensemble:HistGradientBoostingClassifier(max_iter=100)",
}


def register(home: Path, model: str = "lr") -> None:
    module, _, call = ESTIMATORS[model].partition(":")
    code = (
        "import numpy as np, pandas as pd, loopml as lm\n"
        f"import {module}\n"
        "rng = np.random.default_rng(0)\n"
        f"x = pd.DataFrame(rng.normal(size=(2000, {FEATURES})),"
        f" columns=[f'f{{i}}' for i in range({FEATURES})])\n"
        "y = (x['f0'] + x['f1'] > 0).astype(int)\n"
        "with lm.start_run('bench') as run:\n"
        "    ref = "
        f"run.log_model({module}.{call}.fit(x, y), 'model', example=x.head(5))\n"
        "v = lm.register_model(ref, 'wbench')\n"
        "lm.set_alias('wbench', 'champion', v.version)\n"
    )
    env = {**os.environ, "LOOPML_HOME": str(home)}
    subprocess.run([sys.executable, "-c", code], env=env, check=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(home: Path, workers: int, tmp: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {**os.environ, "LOOPML_HOME": str(home), "TMPDIR": str(tmp), "OMP_NUM_THREADS": "1"}
    command = [sys.executable, "-m", "loopml.cli.main", "serve", "wbench@champion"]
    command += ["--port", str(port), "--workers", str(workers)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        started = glob.glob(str(tmp / "loopml-metrics-*" / "counter_*.db"))
        if (workers == 1 or len(started) >= workers) and _ready(url):
            return process, url
        time.sleep(0.5)
    process.kill()
    raise TimeoutError(f"loopml serve --workers {workers} did not start in 300 s")


def _ready(url: str) -> bool:
    import httpx

    try:
        return httpx.get(f"{url}/v2/health/ready", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


def stop(process: subprocess.Popen[bytes]) -> None:
    process.send_signal(2)
    try:
        process.wait(timeout=60)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def load(url: str, concurrency: int, duration: float) -> dict[str, float]:
    """Closed-loop load over ``concurrency`` keep-alive connections.

    The client speaks HTTP/1.1 over asyncio streams with one prepared request, so it costs
    a small fraction of what the server spends per request: on a 2-core machine an httpx
    client saturated its own core first and hid whatever a second worker added.
    """
    host, port = url.removeprefix("http://").split(":")
    body = json.dumps({"inputs": [[0.1 * i for i in range(FEATURES)]]}).encode()
    request = (
        f"POST /predict HTTP/1.1\r\nhost: {host}\r\ncontent-type: application/json\r\n"
        f"content-length: {len(body)}\r\n\r\n"
    ).encode() + body
    latencies: list[float] = []
    errors = 0

    async def one_connection(stop_at: float) -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection(host, int(port))
        try:
            while time.perf_counter() < stop_at:
                t = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                errors += status != 200
                latencies.append((time.perf_counter() - t) * 1000)
        except (OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
        finally:
            writer.close()

    async def main() -> float:
        t0 = time.perf_counter()
        await asyncio.gather(*(one_connection(t0 + duration) for _ in range(concurrency)))
        return time.perf_counter() - t0

    wall = asyncio.run(main())
    ordered = sorted(latencies)
    return {
        "requests": len(ordered),
        "rps": len(ordered) / wall,
        "p50_ms": ordered[len(ordered) // 2] if ordered else 0.0,
        "p99_ms": ordered[int(len(ordered) * 0.99)] if ordered else 0.0,
        "errors": errors,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--concurrency", type=int, default=16)
    ap.add_argument("--duration", type=float, default=15)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--model", choices=sorted(ESTIMATORS), default="lr")
    ap.add_argument("--smoke", action="store_true", help="tiny run (CI)")
    a = ap.parse_args()
    if a.smoke:
        a.duration, a.repeat, a.concurrency = 1.0, 1, 2
    counts = [int(n) for n in a.workers.split(",")]
    with tempfile.TemporaryDirectory(prefix="loopml-wbench-") as tmp:
        home = Path(tmp) / "home"
        register(home, a.model)
        rps: dict[int, list[float]] = {n: [] for n in counts}
        for round_ in range(a.repeat):
            for n in counts:
                scratch = Path(tmp) / f"r{round_}-w{n}"
                scratch.mkdir()
                process, url = start(home, n, scratch)
                try:
                    load(url, a.concurrency, min(2.0, a.duration))  # warm-up
                    result = load(url, a.concurrency, a.duration)
                finally:
                    stop(process)
                rps[n].append(result["rps"])
                record = {"system": "loopml", "workload": "serve-workers", "workers": n,
                          "model": a.model, "concurrency": a.concurrency, "duration_s": a.duration,
                          "round": round_, **result, "loadavg": os.getloadavg()}  # fmt: skip
                print(json.dumps(record), flush=True)
        medians = {n: statistics.median(v) for n, v in rps.items()}
        summary: dict[str, object] = {
            "system": "loopml",
            "workload": "serve-workers-summary",
            "model": a.model,
            "median_rps": medians,
            "cpus": os.cpu_count(),
            "loadavg": os.getloadavg(),
        }
        if len(counts) > 1:
            summary["ratio"] = medians[counts[-1]] / medians[counts[0]]
        print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

"""Platform server benchmark: start-up, REST search over 10,000 runs, MLflow log_batch.

Prints one JSON object per measurement group. loopml's server is started as a real
``loopml up`` subprocess. With ``--mlflow-python`` (a venv holding full ``mlflow``, which
provides ``mlflow server``) MLflow's server is measured in the same sitting, interleaved:
its start-up, and the same MLflow client script logging batches of 1,000 metrics to each.

    python bench/server/run_server.py
    python bench/server/run_server.py --mlflow-python scratch/mlflow-full/bin/python
    python bench/server/run_server.py --smoke            # tiny sizes, for CI
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import httpx

import loopml as lm
from loopml.store.tables import tracking as t
from loopml.tracking.buffer import write_points

URL_LINE = re.compile(r"loopml is up at (http://\S+)")
QUERY = "metrics.acc > 0.9 and params.model = 'gbm'"

LOG_BATCH_SCRIPT = textwrap.dedent(
    """
    import json, sys, time
    from mlflow import MlflowClient
    from mlflow.entities import Metric

    points, repeats = int(sys.argv[1]), int(sys.argv[2])
    client = MlflowClient()
    experiment = client.create_experiment(f"bench-{time.time_ns()}")
    run = client.create_run(experiment)
    times = []
    for r in range(repeats):
        now = int(time.time() * 1000)
        metrics = [Metric(f"m{i % 10}", float(i), now, r * points + i) for i in range(points)]
        start = time.perf_counter()
        client.log_batch(run.info.run_id, metrics=metrics)
        times.append(time.perf_counter() - start)
    client.set_terminated(run.info.run_id)
    stored = len(client.get_metric_history(run.info.run_id, "m0"))
    print(json.dumps({"seconds": times, "m0_points": stored}))
    """
)


def stats(values: list[float], scale: float = 1.0) -> dict[str, float]:
    """Median, 90th percentile (nearest rank), min, max and count of ``values`` x ``scale``."""
    ordered = sorted(v * scale for v in values)
    return {
        "p50": round(statistics.median(ordered), 3),
        "p90": round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 3),
        "min": round(ordered[0], 3),
        "max": round(ordered[-1], 3),
        "n": len(ordered),
    }


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def tree_cpu_s(pid: int) -> float:
    """CPU seconds (user + system) used so far by ``pid`` and every live descendant (Linux)."""
    parents: dict[int, int] = {}
    ticks: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        ticks[int(entry)] = int(fields[11]) + int(fields[12])
    family, frontier = {pid}, [pid]
    while frontier:
        parent = frontier.pop()
        children = [p for p, pp in parents.items() if pp == parent and p not in family]
        family.update(children)
        frontier.extend(children)
    return sum(ticks.get(p, 0) for p in family) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_health(url: str, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} never became healthy")


def start_loopml(home: Path) -> tuple[subprocess.Popen[str], str, float, float, float]:
    """Start ``loopml up``; return it, its URL, seconds to URL printed and to /health, CPU s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOPML_")}
    env["LOOPML_HOME"] = str(home)
    command = [
        sys.executable,
        "-c",
        "from loopml.cli.main import main; main()",
        "up",
        "--port",
        "0",
    ]
    start = time.monotonic()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    url = ""
    for line in process.stdout:
        match = URL_LINE.search(line)
        if match:
            url = match.group(1)
            break
    printed = time.monotonic() - start
    wait_health(url, time.monotonic() + 120)
    healthy = time.monotonic() - start
    return process, url, printed, healthy, tree_cpu_s(process.pid)


def start_mlflow(python: str, work: Path) -> tuple[subprocess.Popen[bytes], str, float, float]:
    """Start ``mlflow server`` (sqlite); return it, its URL, seconds to /health, CPU s."""
    port = free_port()
    mlflow = str(Path(python).parent / "mlflow")
    command = [
        mlflow, "server", "--backend-store-uri", f"sqlite:///{work / 'mlflow.db'}",
        "--default-artifact-root", str(work / "artifacts"), "--host", "127.0.0.1",
        "--port", str(port),
    ]  # fmt: skip
    start = time.monotonic()
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    url = f"http://127.0.0.1:{port}"
    wait_health(url, time.monotonic() + 300)
    return process, url, time.monotonic() - start, tree_cpu_s(process.pid)


def stop(process: subprocess.Popen[str] | subprocess.Popen[bytes], group: bool = False) -> None:
    """Stop a server (with ``group``: its whole process group, e.g. MLflow's workers)."""
    signal_to = (lambda sig: os.killpg(process.pid, sig)) if group else process.send_signal
    signal_to(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        signal_to(signal.SIGKILL)
        process.wait()
    if process.stdout is not None:
        process.stdout.close()


def populate(home: Path, runs: int) -> None:
    """``runs`` finished runs in one experiment, 5 params and 5 metrics each (seeded).

    Written in one transaction through the store's tables (the logging path is measured by
    bench/tracking; here only the searched data matters).
    """
    rng = random.Random(7)
    client = lm.Client(home=home)
    store, db = client.store, client.store.db
    experiment = client.runs.set_experiment("search")
    run_rows, param_rows = [], []
    points: dict[str, list[tuple[str, float, int, int]]] = {}
    for i in range(runs):
        run_id = f"{i:032x}"
        run_rows.append(
            {"id": run_id, "experiment_id": experiment.id, "name": f"run-{i}",
             "status": "FINISHED", "start_time": 1_000 + i, "end_time": 2_000 + i,
             "user_name": "bench", "source": "bench"}
        )  # fmt: skip
        params = {"model": rng.choice(["gbm", "rf", "lr"]), "lr": str(rng.random()),
                  "depth": str(rng.randint(2, 12)), "seed": str(i), "data": "v1"}  # fmt: skip
        param_rows += [
            {"run_id": run_id, "key": k, "value": val, "value_num": _number(val)}
            for k, val in params.items()
        ]
        points[run_id] = [
            (k, rng.random(), 0, 1000 + i) for k in ("acc", "f1", "auc", "loss", "rmse")
        ]
    with db.write() as conn:
        conn.execute(t.runs.insert(), run_rows)
        conn.execute(t.params.insert(), param_rows)
        for run_id, run_points in points.items():
            write_points(conn, db, run_id, run_points)
    store.close()


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def bench_search(url: str, repeats: int, pid: int) -> dict[str, object]:
    """Wall ms per search (REST and MLflow API) and the server's CPU ms per REST search."""
    body = {"experiments": ["search"], "filter": QUERY, "order_by": ["metrics.acc desc"],
            "limit": 100}  # fmt: skip
    mlflow_body = {"experiment_ids": ["1"], "filter": QUERY, "order_by": ["metrics.acc DESC"],
                   "max_results": 100}  # fmt: skip
    out: dict[str, object] = {}
    with httpx.Client(base_url=url, timeout=60) as http:
        for name, path, payload in (
            ("rest_search_ms", "/api/v1/runs/search", body),
            ("mlflow_api_search_ms", "/api/2.0/mlflow/runs/search", mlflow_body),
        ):
            http.post(path, json=payload).raise_for_status()  # warm
            cpu = tree_cpu_s(pid)
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                response = http.post(path, json=payload)
                times.append(time.perf_counter() - start)
                response.raise_for_status()
            out[name] = stats(times, 1000)
            out[name.replace("_ms", "_server_cpu_ms")] = round(
                (tree_cpu_s(pid) - cpu) / repeats * 1000, 2
            )
            out[name.replace("_ms", "_results")] = len(next(iter(response.json().values())))
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            http.get(
                "/api/v1/runs", params={"experiment": "search", "limit": 50}
            ).raise_for_status()
            times.append(time.perf_counter() - start)
        out["rest_first_page_ms"] = stats(times, 1000)
    return out


def log_batch(
    python: str, url: str, points: int, repeats: int, script: Path, pid: int
) -> dict[str, object]:
    """The MLflow client script against ``url``: seconds per log_batch, server CPU s in all."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOOPML_", "PYTHONPATH"))}
    env["MLFLOW_TRACKING_URI"] = url
    cpu = tree_cpu_s(pid)
    done = subprocess.run(
        [python, str(script), str(points), str(repeats)],
        env=env, capture_output=True, text=True, timeout=600, check=True,
    )  # fmt: skip
    result = json.loads(done.stdout.strip().splitlines()[-1])
    return {
        "log_batch_s": stats(result["seconds"]),
        "server_cpu_s": round(tree_cpu_s(pid) - cpu, 2),
        "m0_points": result["m0_points"],
    }


def bench_startup(work: Path, repeats: int, mlflow_python: str | None) -> dict[str, object]:
    """Seconds and CPU seconds until each server answers /health, interleaved.

    ``first``: a new, empty folder (the store is created); ``again``: the same folder a
    second time (the usual ``loopml up``). loopml's ``url`` is when it prints its URL.
    """
    samples: dict[str, list[float]] = {}

    def add(key: str, value: float) -> None:
        samples.setdefault(key, []).append(value)

    loads = []
    for i in range(repeats):
        loads.append(load()[0])
        for phase in ("first", "again"):
            process, _, printed, healthy, cpu = start_loopml(work / f"start-{i}")
            stop(process)
            add(f"loopml_{phase}_url_s", printed)
            add(f"loopml_{phase}_health_s", healthy)
            add(f"loopml_{phase}_cpu_s", cpu)
            if mlflow_python:
                folder = work / f"mlflow-{i}"
                folder.mkdir(exist_ok=True)
                mlflow_process, _, seconds, cpu = start_mlflow(mlflow_python, folder)
                stop(mlflow_process, group=True)
                add(f"mlflow_{phase}_health_s", seconds)
                add(f"mlflow_{phase}_cpu_s", cpu)
    out: dict[str, object] = {"group": "startup"}
    out |= {key: stats(values) for key, values in samples.items()}
    if mlflow_python:
        for phase in ("first", "again"):
            ours = statistics.median(samples[f"loopml_{phase}_health_s"])
            theirs = statistics.median(samples[f"mlflow_{phase}_health_s"])
            out[f"mlflow_over_loopml_{phase}"] = round(theirs / ours, 2)
    return out | {"load_1min_before": loads, "load": load()}


def bench_log_batch(
    args: argparse.Namespace, client_python: str, work: Path, url: str, pid: int
) -> dict[str, object]:
    """The MLflow client's log_batch against loopml and ``mlflow server``, interleaved.

    Each server first gets a short warm-up session (not counted), so that neither pays its
    first-request costs inside the measured batches.
    """
    script = work / "log_batch.py"
    script.write_text(LOG_BATCH_SCRIPT)
    rows: dict[str, object] = {"group": "mlflow_log_batch", "points": args.points}
    servers = {"loopml": (url, pid)}
    mlflow_process = None
    if args.mlflow_python:
        (work / "mlflow-batch").mkdir()
        mlflow_process, mlflow_url, _, _ = start_mlflow(args.mlflow_python, work / "mlflow-batch")
        servers["mlflow"] = (mlflow_url, mlflow_process.pid)
    p50s: dict[str, list[float]] = {}
    try:
        for server_url, server_pid in servers.values():  # warm-up, not counted
            log_batch(client_python, server_url, args.points, 2, script, server_pid)
        for round_ in (1, 2):  # loopml, MLflow, loopml, MLflow
            for name, (server_url, server_pid) in servers.items():
                found = log_batch(
                    client_python, server_url, args.points, args.batches, script, server_pid
                )
                rows[f"{name}_{round_}"] = found
                p50s.setdefault(name, []).append(found["log_batch_s"]["p50"])  # type: ignore[index]
    finally:
        if mlflow_process is not None:
            stop(mlflow_process, group=True)
    if "mlflow" in p50s:
        ratio = statistics.median(p50s["mlflow"]) / statistics.median(p50s["loopml"])
        rows["mlflow_over_loopml"] = round(ratio, 2)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--searches", type=int, default=50)
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--points", type=int, default=1000)
    parser.add_argument("--batches", type=int, default=20)
    parser.add_argument("--mlflow-python", help="venv python with full mlflow (mlflow server)")
    parser.add_argument("--mlflow-client-python", help="venv python with the mlflow client")
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.searches, args.starts, args.batches = 50, 3, 1, 2
    client_python = args.mlflow_client_python or args.mlflow_python
    host = {"python": platform.python_version(), "cpus": os.cpu_count()}
    with tempfile.TemporaryDirectory(prefix="loopml-bench-server-") as tmp:
        work = Path(tmp)
        if args.starts:
            print(json.dumps(bench_startup(work, args.starts, args.mlflow_python) | host))

        home = work / "search"
        begin = time.monotonic()
        populate(home, args.runs)
        populated = round(time.monotonic() - begin, 1)
        process, url, _, _, _ = start_loopml(home)
        try:
            found = bench_search(url, args.searches, process.pid)
            print(json.dumps({"group": "search", "runs": args.runs, "query": QUERY,
                              "populate_s": populated, **found, "load": load()}))  # fmt: skip
            if client_python:
                rows = bench_log_batch(args, client_python, work, url, process.pid)
                print(json.dumps(rows | {"load": load()}))
        finally:
            stop(process)


if __name__ == "__main__":
    main()

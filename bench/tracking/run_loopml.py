"""Tracking benchmarks T1 (logging) and T2 (search, history) for loopml, and MLflow beside it.

Prints one JSON line per system. loopml runs in this interpreter on a fresh SQLite store;
with ``--peer-python`` the MLflow harness of ``shared/peers/tracking`` runs in its own venv
right after, on the same generated data (same seed), so the figures share one sitting.

    python bench/tracking/run_loopml.py
    python bench/tracking/run_loopml.py --peer-python scratch/peers/tracking/venv/bin/python
    python bench/tracking/run_loopml.py --smoke        # tiny sizes, for CI
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import workload as W  # noqa: E402

# shared/ sits beside the checkout (main) or one level further up (a work tree in wt/).
_HARNESSES = [HERE.parents[i] / "shared" / "peers" / "tracking" / "run_mlflow.py" for i in (2, 3)]
DEFAULT_HARNESS = next((p for p in _HARNESSES if p.is_file()), _HARNESSES[0])


def stats(values: list[float], scale: float = 1.0, digits: int = 4) -> dict:
    ordered = sorted(v * scale for v in values)
    return {
        "median": round(statistics.median(ordered), digits),
        "min": round(ordered[0], digits),
        "max": round(ordered[-1], digits),
        "n": len(ordered),
    }


def t1(lm, points: int, reps: int) -> tuple[dict, str]:
    params = W.t1_params()
    series = W.t1_series(points)
    single_params, single_points, single_cpu, batch = [], [], [], []
    run_id = ""
    for rep in range(reps):
        with lm.start_run(W.EXPERIMENT_T1, name=f"t1-single-{rep}") as run:
            start = time.perf_counter()
            for key, value in params.items():
                run.log_param(key, value)
            single_params.append(time.perf_counter() - start)
            start, cpu = time.perf_counter(), time.process_time()
            for step, value in series:
                run.log_metric("loss", value, step=step)
            run.flush()  # every point is in the database when the clock stops
            single_points.append(time.perf_counter() - start)
            single_cpu.append(time.process_time() - cpu)  # every thread of the process
            run_id = run.id
        with lm.start_run(W.EXPERIMENT_T1, name=f"t1-batch-{rep}") as run:
            start = time.perf_counter()
            run.log_batch([("loss", v, s) for s, v in series], params=params)
            batch.append(time.perf_counter() - start)
    result = {
        "params_single_per_s": stats([len(params) / s for s in single_params], digits=1),
        "single_points": len(series),
        "points_single_per_s": stats([len(series) / s for s in single_points], digits=1),
        "points_single_s": stats(single_points),
        "points_single_per_cpu_s": stats([len(series) / s for s in single_cpu], digits=1),
        # the first run of a process also compiles its statements and captures git state
        "points_single_first_run_per_s": round(len(series) / single_points[0], 1),
        "points_batch_per_s": stats([len(series) / s for s in batch], digits=1),
        "points_batch_s_incl_100_params": stats(batch),
    }
    return result, run_id


def t2(lm, n_runs: int, searches: int) -> dict:
    runs = W.t2_runs(n_runs)
    expected = W.t2_expected(runs)
    start = time.perf_counter()
    for spec in runs:
        with lm.start_run(W.EXPERIMENT_T2, name=spec["name"]) as run:
            run.log_params(spec["params"])
            run.log_metrics(spec["metrics"])
    created = time.perf_counter() - start

    def search(output: str):
        return lm.search_runs(
            W.EXPERIMENT_T2,
            W.SEARCH_FILTER,
            order_by=["metrics.acc desc"],
            limit=W.SEARCH_LIMIT,
            output=output,
        )

    names = [r.name for r in search("list")]
    timings, cpu_timings = [], []
    for _ in range(searches):
        start, cpu = time.perf_counter(), time.thread_time()
        search("list")
        timings.append(time.perf_counter() - start)
        cpu_timings.append(time.thread_time() - cpu)
    frame_timings = []
    for _ in range(max(5, searches // 4)):
        start = time.perf_counter()
        search("frame")
        frame_timings.append(time.perf_counter() - start)
    list_all = []
    for _ in range(5):
        start = time.perf_counter()
        found, token = 0, None
        while True:
            page = lm.search_runs(W.EXPERIMENT_T2, limit=1000, page_token=token, output="list")
            found += len(page)
            token = page.next_page_token
            if token is None:
                break
        list_all.append(time.perf_counter() - start)
    return {
        "create_runs_s": round(created, 3),
        "create_runs_per_s": round(len(runs) / created, 1),
        "search_ms": stats(timings, 1000, 3),
        "search_cpu_ms": stats(cpu_timings, 1000, 3),
        "search_hits": len(names),
        "search_correct": names == expected,
        "search_pandas_ms": stats(frame_timings, 1000, 3),
        "list_all_runs_ms": stats(list_all, 1000, 3),
        "list_all_count": found,
    }


def history(lm, run_id: str, points: int, reps: int = 10) -> dict:
    series = W.t1_series(points)
    timings = []
    for _ in range(reps):
        start = time.perf_counter()
        frame = lm.get_metric_history(run_id, "loss")
        timings.append(time.perf_counter() - start)
    correct = len(frame) == len(series) and abs(frame["value"].iloc[-1] - series[-1][1]) < 1e-9
    return {
        "get_metric_history_ms": stats(timings, 1000, 3),
        "points": len(frame),
        "correct": bool(correct),
    }


def run_loopml(args: argparse.Namespace) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="loopml-bench-"))
    start = time.perf_counter()
    import loopml as lm

    import_s = time.perf_counter() - start
    lm.configure(home=str(workdir))
    out: dict = {
        "system": "loopml",
        "version": lm.__version__,
        "backend": "sqlite",
        "import_loopml_s": round(import_s, 3),
        "capture": True,
    }
    out["T1"], run_id = t1(lm, args.points, args.t1_reps)
    out["T2"] = t2(lm, args.runs, args.searches)
    out["T2"]["history"] = history(lm, run_id, args.points)
    out["store_bytes"] = sum(p.stat().st_size for p in workdir.rglob("*") if p.is_file())
    lm.get_client().close()
    shutil.rmtree(workdir, ignore_errors=True)
    return out


def run_peer(args: argparse.Namespace) -> dict:
    harness = Path(args.peer_harness).resolve()
    command = [
        args.peer_python,
        str(harness),
        "--backend",
        "sqlite",
        "--tasks",
        "T1,T2",
        "--t1-reps",
        str(args.t1_reps),
        "--t1-single-points",
        str(args.peer_single_points),
    ]
    done = subprocess.run(
        command, cwd=args.peer_workdir, capture_output=True, text=True, check=False
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"system": "mlflow", "error": done.stderr[-2000:]}
    return json.loads(lines[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (CI)")
    parser.add_argument("--points", type=int, default=W.N_POINTS)
    parser.add_argument("--runs", type=int, default=W.N_RUNS)
    parser.add_argument("--searches", type=int, default=W.N_SEARCHES)
    parser.add_argument("--t1-reps", type=int, default=5)
    parser.add_argument("--peer-python", help="python of a venv with mlflow installed")
    parser.add_argument("--peer-harness", default=str(DEFAULT_HARNESS))
    parser.add_argument("--peer-single-points", type=int, default=2000)
    parser.add_argument("--peer-workdir", default=".")
    args = parser.parse_args()
    if args.smoke:
        args.points, args.runs, args.searches, args.t1_reps = 500, 60, 3, 1
    load_before = os.getloadavg()
    result = run_loopml(args)
    result["python"] = platform.python_version()
    result["load_before"], result["load_after"] = load_before, os.getloadavg()
    print(json.dumps(result), flush=True)
    if args.peer_python:
        peer = run_peer(args)
        peer["load_after"] = os.getloadavg()
        print(json.dumps(peer), flush=True)
        print(json.dumps(ratios(result, peer)), flush=True)


def ratios(ours: dict, peer: dict) -> dict:
    def get(d: dict, *path: str) -> float | None:
        for key in path:
            d = d.get(key) if isinstance(d, dict) else None
        return d if isinstance(d, int | float) else None

    pairs = {
        "t1_single_points_per_s": ("T1", "points_single_per_s", "median"),
        "t1_batch_points_per_s": ("T1", "points_batch_per_s", "median"),
    }
    out = {"system": "ratio loopml/mlflow (higher is better for loopml)"}
    for name, path in pairs.items():
        a, b = get(ours, *path), get(peer, *path)
        out[name] = round(a / b, 1) if a and b else None
    for name, path in {
        "t2_search_ms": ("T2", "search_ms", "median"),
    }.items():
        a, b = get(ours, *path), get(peer, *path)
        out[f"{name}_speedup"] = round(b / a, 1) if a and b else None
    return out


if __name__ == "__main__":
    main()

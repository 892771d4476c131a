"""MLflow side of the short-run and fresh-process benchmarks (run with MLflow's own python).

Stdlib + mlflow only; prints one JSON line. ``short`` times N short runs (start, one
metric, end) on a SQLite store with the working directory given (a temporary folder or
a git work tree; MLflow records the git commit of ``__main__``'s folder). ``fresh`` is
the body timed as a fresh process (``import mlflow``, start a run, log one metric, end).

    python peer_mlflow.py short --runs 200 --store /tmp/x --cwd /tmp/y
    python peer_mlflow.py fresh --store /tmp/x
"""

import argparse
import json
import os
import sys
import time


def short(args: argparse.Namespace) -> dict:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{args.store}/mlflow.db")
    mlflow.set_experiment("short_runs")
    os.chdir(args.cwd)
    for _ in range(args.warmup):
        with mlflow.start_run():
            mlflow.log_metric("m", 1.0)
    start = time.perf_counter()
    for i in range(args.runs):
        with mlflow.start_run():
            mlflow.log_metric("m", float(i))
    elapsed = time.perf_counter() - start
    return {
        "system": "mlflow",
        "version": mlflow.__version__,
        "runs": args.runs,
        "runs_per_s": round(args.runs / elapsed, 1),
        "cwd": args.cwd,
    }


def fresh(args: argparse.Namespace) -> dict:
    import mlflow

    mlflow.set_tracking_uri(f"sqlite:///{args.store}/mlflow.db")
    with mlflow.start_run():
        mlflow.log_metric("m", 1.0)
    return {"system": "mlflow"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("task", choices=["short", "fresh"])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--store", required=True)
    parser.add_argument("--cwd", default=".")
    args = parser.parse_args()
    result = short(args) if args.task == "short" else fresh(args)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())

"""Issue 16 items 1 and 2: short runs and a fresh process, loopml beside MLflow.

* ``short``: N short runs (start, one metric, end) in one process, with environment
  capture on, from a temporary folder (no git) and from inside this repository's work
  tree (git state recorded). Each measurement is a fresh interpreter; systems alternate.
* ``fresh``: wall and CPU time of a fresh process that imports the library, starts a run,
  logs one metric and ends it (median of ``--fresh-reps``), on an existing home (the
  usual case: the store was made by an earlier process) and on a new one (the first
  process of a project, which also creates the schema).

Prints one JSON line per measurement and a summary line with medians, ratios and the
load average before and after. ``--compare-src`` adds a second loopml source tree
(e.g. a checkout of main) to the same interleaved sitting.

    python bench/tracking/short_runs.py --peer-python /work/scratch/mlflow/bin/python
    python bench/tracking/short_runs.py --smoke
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
FRESH_LOOPML = (
    "import sys, loopml as lm\n"
    "lm.configure(home=sys.argv[1])\n"
    "with lm.start_run('fresh') as run:\n"
    "    run.log_metric('m', 1.0)\n"
)


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def systems(args: argparse.Namespace) -> list[tuple[str, list[str], dict[str, str]]]:
    here_src = str(HERE.parents[1] / "src")
    found = [("loopml", [sys.executable], {"PYTHONPATH": here_src})]
    if args.compare_src:
        found.append(("loopml-compare", [sys.executable], {"PYTHONPATH": args.compare_src}))
    if args.peer_python:
        found.append(("mlflow", [args.peer_python], {}))
    return found


def short(name: str, python: list[str], env: dict[str, str], where: str, args) -> dict:
    work = Path(tempfile.mkdtemp(prefix="bench-short-"))
    folder = work / "code" if where == "tmp" else HERE
    folder.mkdir(exist_ok=True)
    script = "peer_mlflow.py" if name == "mlflow" else "short_child.py"
    if where == "tmp":
        shutil.copy(HERE / script, folder / script)
    command = [*python, str(folder / script)]
    if name == "mlflow":
        runs = args.peer_runs or args.runs
        command += ["short", "--runs", str(runs), "--store", str(work), "--cwd", str(folder)]
    else:
        command += ["--runs", str(args.runs), "--home", str(work / "home")]
    done = subprocess.run(
        command, cwd=folder, env={**os.environ, **env}, capture_output=True, text=True
    )
    shutil.rmtree(work, ignore_errors=True)
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if not lines:
        return {"system": name, "where": where, "error": done.stderr[-1500:]}
    return {**json.loads(lines[-1]), "system": name, "where": where}


def fresh(name: str, python: list[str], env: dict[str, str], home: str) -> dict | None:
    """Time one fresh process; ``home`` "new" starts from an empty folder (so the schema is
    created and migrated in the timed process), "existing" from a store made beforehand."""
    for _ in range(3):  # a shared machine sometimes kills a start-up (seen: SIGBUS)
        work = Path(tempfile.mkdtemp(prefix="bench-fresh-"))
        if name == "mlflow":
            command = [*python, str(HERE / "peer_mlflow.py"), "fresh", "--store", str(work)]
        else:
            command = [*python, "-c", FRESH_LOOPML, str(work / "home")]
        run_env = {**os.environ, **env}
        if home == "existing":
            subprocess.run(command, cwd=work, env=run_env, capture_output=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(command, cwd=work, env=run_env, capture_output=True)
        elapsed = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        shutil.rmtree(work, ignore_errors=True)
        if done.returncode == 0:
            cpu = after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime
            return {"wall": elapsed, "cpu": cpu}
        print(json.dumps({"system": name, "fresh_error": done.returncode}), flush=True)
    return None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=2000)
    parser.add_argument(
        "--peer-runs", type=int, help="runs per MLflow sitting (default: --runs; it is a rate)"
    )
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--fresh-reps", type=int, default=7)
    parser.add_argument("--peer-python")
    parser.add_argument("--compare-src", help="src folder of another loopml checkout")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    if args.smoke:
        args.runs, args.reps, args.fresh_reps = 20, 1, 1
    before = load()
    rates: dict[tuple[str, str], list[float]] = {}
    walls: dict[str, list[dict]] = {}
    for _ in range(args.reps):
        for where in ("tmp", "repo"):
            for name, python, env in systems(args):
                result = short(name, python, env, where, args)
                print(json.dumps(result), flush=True)
                if "runs_per_s" in result:
                    rates.setdefault((name, where), []).append(result["runs_per_s"])
    for _ in range(args.fresh_reps):
        for home in ("existing", "new"):
            for name, python, env in systems(args):
                timed = fresh(name, python, env, home)
                if timed is not None:
                    walls.setdefault(f"{name}_fresh_{home}_home", []).append(timed)
    summary: dict = {
        "summary": "short runs/s (median); fresh process wall and CPU s (median), on a new "
        "home (schema created in the timed process) and on an existing one"
    }
    for (name, where), values in rates.items():
        summary[f"{name}_{where}_runs_per_s"] = statistics.median(values)
    for name, values in walls.items():
        summary[f"{name}_wall_s"] = round(statistics.median(v["wall"] for v in values), 3)
        summary[f"{name}_cpu_s"] = round(statistics.median(v["cpu"] for v in values), 3)
    for where in ("tmp", "repo"):
        ours, peer = rates.get(("loopml", where)), rates.get(("mlflow", where))
        if ours and peer:
            summary[f"ratio_{where}"] = round(statistics.median(ours) / statistics.median(peer), 1)
    summary["load_before"], summary["load_after"] = before, load()
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main()

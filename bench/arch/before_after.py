"""T1, F3, S1, M1 and O1 for two source trees, interleaved in one sitting.

Issue 10 asks that the architecture step loses no benchmark figure: each workload runs
from each tree's own ``bench/`` scripts with that tree's ``src`` first on the path,
alternating trees round by round, and the medians are compared (``after / before``;
for rates higher is better, for times lower is better). Prints one JSON object.

    python bench/arch/before_after.py --before /path/to/old/checkout --after . [--rounds 2]

Data: F3 reads ``scratch/peers/featurestore/data`` (``bench/features/gen_data.py``), M1
reads ``scratch/peers/monitoring/data`` (``shared/peers/monitoring/gen_data.py --no-big``),
S1 needs the serving peers' state (``bench/serving/README.md``); a workload whose data is
missing is reported as skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

Extract = Callable[[list[dict[str, Any]]], dict[str, float]]
HERE = Path(__file__).resolve().parents[2]
FEATURE_DATA = HERE / "scratch" / "peers" / "featurestore" / "data"
MONITORING_DATA = HERE / "scratch" / "peers" / "monitoring" / "data"
# figure name -> True when higher is better
DIRECTION = {
    "T1 single points/s": True,
    "T1 batch points/s": True,
    "F3 single p50 ms": False,
    "F3 single p99 ms": False,
    "F3 batch100 p50 ms": False,
    "S1 lr c1 p50 ms": False,
    "S1 lr c1 p99 ms": False,
    "S1 lr c16 rps": True,
    "M1 wall s": False,
    "M1 cpu s": False,
    "O1 run wall s": False,
    "O1 cached wall s": False,
}


def _json_lines(text: str) -> list[dict[str, Any]]:
    found = []
    for line in text.splitlines():
        line = line.removeprefix("RESULT ").strip()
        if line.startswith("{"):
            try:
                found.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return found


def _t1(records: list[dict[str, Any]]) -> dict[str, float]:
    t1 = next(r["T1"] for r in records if "T1" in r)
    return {
        "T1 single points/s": t1["points_single_per_s"]["median"],
        "T1 batch points/s": t1["points_batch_per_s"]["median"],
    }


def _f3(records: list[dict[str, Any]]) -> dict[str, float]:
    r = next(r for r in records if "f3_single" in r)
    return {
        "F3 single p50 ms": r["f3_single"]["p50_ms"],
        "F3 single p99 ms": r["f3_single"]["p99_ms"],
        "F3 batch100 p50 ms": r["f3_batch100"]["p50_ms"],
    }


def _m1(records: list[dict[str, Any]]) -> dict[str, float]:
    r = next(r for r in records if r.get("workload") == "M1")
    return {"M1 wall s": r["wall_s_median"], "M1 cpu s": r["cpu_s_median"]}


def _o1(records: list[dict[str, Any]]) -> dict[str, float]:
    runs = [r for r in records if r.get("workload") == "O1"]
    full = next(r for r in runs if r["mode"] != "cached")
    cached = next(r for r in runs if r["mode"] == "cached")
    return {"O1 run wall s": full["wall_s"], "O1 cached wall s": cached["wall_s"]}


def _s1(records: list[dict[str, Any]]) -> dict[str, float]:
    figures: dict[str, float] = {}
    for r in records:
        variant = str(r.get("variant") or r.get("peer") or "")
        if r.get("model") != "lr" or any(v in variant for v in ("nolog", "nobatch", "shadow")):
            continue
        if r.get("concurrency") == 1:
            figures["S1 lr c1 p50 ms"] = r["p50_ms"]
            figures["S1 lr c1 p99 ms"] = r["p99_ms"]
        elif r.get("concurrency") == 16:
            figures["S1 lr c16 rps"] = r["rps"]
    return figures


def workloads(scratch: Path) -> dict[str, tuple[list[str], Extract, Path | None]]:
    """Name -> (bench command relative to a tree, figure extractor, data it needs)."""
    return {
        "T1": (
            ["bench/tracking/run_loopml.py", "--runs", "200", "--searches", "3", "--t1-reps", "3"],
            _t1,
            None,
        ),
        "F3": (
            [
                "bench/features/run_loopml.py",
                *("--data", str(FEATURE_DATA), "--workloads", "f3", "--repeat", "1"),
            ],
            _f3,
            FEATURE_DATA,
        ),
        "S1": (
            [
                "bench/serving/run_loopml.py",
                *("--workload", "s1", "--models", "lr", "--variants", "full"),
                *("--concurrency", "1,16", "--duration", "10", "--repeat", "1"),
            ],
            _s1,
            HERE / "scratch" / "peers" / "serving" / "state",
        ),
        "M1": (
            [
                "bench/monitoring/run_loopml.py",
                *("--workload", "M1", "--data-dir", str(MONITORING_DATA), "--reps", "3"),
            ],
            _m1,
            MONITORING_DATA,
        ),
        "O1": (
            ["bench/orchestration/run_loopml.py", "--workload", "O1", "--state", str(scratch)],
            _o1,
            None,
        ),
    }


def serving_state(label: str) -> dict[str, str]:
    """A serving-harness state folder per tree: models and data shared, loopml homes not.

    A home written by the newer tree has schema revisions the older tree refuses, so each
    tree registers the model in a home of its own.
    """
    shared = Path(os.environ.get("SERVE_BENCH_STATE", HERE / "scratch/peers/serving/state"))
    if not shared.is_dir():
        return {}
    own = shared.with_name(f"{shared.name}-{label}")
    own.mkdir(exist_ok=True)
    for entry in shared.iterdir():
        link = own / entry.name
        if not entry.name.startswith("loopml-home-") and not link.exists():
            link.symlink_to(entry.resolve())
    return {"SERVE_BENCH_STATE": str(own)}


def run_one(tree: Path, label: str, command: list[str], extract: Extract) -> dict[str, float]:
    """Run one bench script from ``tree`` against its own sources; return its figures."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src"), **serving_state(label)}
    done = subprocess.run(
        [sys.executable, *command],
        cwd=tree,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{command[0]} failed in {tree}: {done.stderr[-1500:]}")
    return extract(_json_lines(done.stdout))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--before", type=Path, required=True)
    parser.add_argument("--after", type=Path, default=HERE)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--only", default="T1,F3,S1,M1,O1")
    args = parser.parse_args()
    trees = {"before": args.before.resolve(), "after": args.after.resolve()}
    samples: dict[str, dict[str, list[float]]] = {"before": {}, "after": {}}
    skipped: dict[str, str] = {}
    loads = []
    chosen = [name for name in workloads(Path()) if name in args.only.split(",")]
    for round_no in range(args.rounds):
        order = ["before", "after"] if round_no % 2 == 0 else ["after", "before"]
        for name in chosen:
            for side in order:
                with tempfile.TemporaryDirectory() as scratch:
                    command, extract, data = workloads(Path(scratch) / "state")[name]
                    if data is not None and not data.exists():
                        skipped[name] = f"no data at {data}"
                        continue
                    try:
                        figures = run_one(trees[side], side, command, extract)
                    except (RuntimeError, StopIteration, KeyError) as exc:
                        skipped[f"{name} {side}"] = str(exc)[-300:]
                        continue
                for key, value in figures.items():
                    samples[side].setdefault(key, []).append(value)
            loads.append(os.getloadavg()[0])
    table = {}
    for key, higher_better in DIRECTION.items():
        before, after = samples["before"].get(key), samples["after"].get(key)
        if not before or not after:
            continue
        b, a = statistics.median(before), statistics.median(after)
        worse = (b / a - 1) if higher_better else (a / b - 1)
        table[key] = {"before": b, "after": a, "after_worse_by": round(worse, 3)}
    print(
        json.dumps(
            {
                "trees": {k: str(v) for k, v in trees.items()},
                "rounds": args.rounds,
                "load_avg_1m": loads,
                "figures": table,
                "samples": samples,
                "skipped": skipped,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()

"""Run O1/O2 for loopml, the plain-Python floor and the peers in one sitting; summarise.

Every run is a fresh process with a fresh state folder; tools are interleaved per
repetition so machine load hits them alike. Peers run from their own venvs
(``<venvs>/venv-<tool>/bin/python``) with the harness in ``shared/peers/orchestration``;
loopml and the floor run with this interpreter (same numpy and scikit-learn).

    python bench/orchestration/compare.py --reps 3 --venvs scratch/peers/orchestration
    python bench/orchestration/compare.py --tools loopml,plain,dagster --workloads O1
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
PEERS = {
    "dagster": ("run_dagster.py", ["--executor", "inprocess"]),
    "prefect": ("run_prefect.py", []),
    "zenml": ("run_zenml.py", []),
    "metaflow": ("run_metaflow.py", []),
}


def find_harness() -> Path | None:
    for folder in HERE.parents:
        candidate = folder / "shared" / "peers" / "orchestration"
        if candidate.is_dir():
            return candidate
    return None


def command(tool: str, workload: str, state: Path, args: argparse.Namespace) -> list[str]:
    if tool.startswith("loopml"):
        name, _, variant = tool.partition(":")  # loopml:first times the store set-up too
        executor = name.split("-", 1)[1] if "-" in name else "local"
        script = HERE / "run_loopml.py"
        warm = [] if variant == "first" else ["--warm-store"]
        return [sys.executable, str(script), "--workload", workload, "--state", str(state),
                "--executor", executor, *warm]  # fmt: skip
    if tool == "plain":
        return [sys.executable, str(args.harness / "run_plain.py"), "--workload", workload]
    script, extra = PEERS[tool]
    python = Path(args.venvs) / f"venv-{tool}" / "bin" / "python"
    return [str(python), str(args.harness / script), "--workload", workload, "--state",
            str(state), *extra]  # fmt: skip


def run_once(tool: str, workload: str, args: argparse.Namespace) -> list[dict]:
    state = Path(tempfile.mkdtemp(prefix=f"orch-{tool}-{workload}-"))
    load = os.getloadavg()[0]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command(tool, workload, state, args),
            capture_output=True,
            text=True,
            timeout=args.timeout,
            cwd=state,
        )
        output, code = done.stdout + done.stderr, done.returncode
    except subprocess.TimeoutExpired:
        output, code = "", "timeout"
    finally:
        shutil.rmtree(state, ignore_errors=True)
    process_s = time.perf_counter() - started
    rows = [
        json.loads(line.split("RESULT ", 1)[1])
        for line in output.splitlines()
        if "RESULT {" in line
    ]
    for row in rows:
        row.update(runner=tool, process_wall_s=process_s, loadavg1_before=load, rc=code)
    if not rows:
        rows = [
            {"runner": tool, "workload": workload, "rc": code, "ok": False, "tail": output[-600:]}
        ]
    return rows


def summarise(rows: list[dict]) -> list[dict]:
    groups: dict[tuple, list[dict]] = {}
    for row in rows:
        if row.get("wall_s") is not None:
            groups.setdefault((row["runner"], row["workload"], row["mode"]), []).append(row)
    out = []
    for (runner, workload, mode), found in sorted(groups.items()):
        walls = sorted(r["wall_s"] for r in found)
        out.append(
            {
                "runner": runner,
                "workload": workload,
                "mode": mode,
                "n": len(walls),
                "median_s": round(statistics.median(walls), 4),
                "min_s": round(walls[0], 4),
                "max_s": round(walls[-1], 4),
                "per_step_ms": round(
                    1000 * statistics.median(walls) / (found[0].get("n_steps") or 1), 2
                ),
                "ok": all(r.get("ok") for r in found),
                "load": round(statistics.median(r.get("loadavg1_before", 0) for r in found), 1),
            }
        )
    return out


def ratios(summary: list[dict]) -> dict:
    def median(runner: str, workload: str, mode: str) -> float | None:
        for row in summary:
            if (row["runner"], row["workload"], row["mode"]) == (runner, workload, mode):
                return row["median_s"]
        return None

    plain = median("plain", "O2", "cold")
    out = {}
    for row in summary:
        if row["workload"] == "O2" and plain and row["mode"] in {"cold", "first"}:
            out[f"{row['runner']}:{row['mode']}"] = round(row["median_s"] / plain, 3)
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument(
        "--tools",
        default="plain,loopml,loopml:first,loopml-threads,dagster,prefect,zenml,metaflow",
    )
    parser.add_argument("--workloads", default="O1,O2")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--slow-reps", type=int, default=1, help="reps for prefect/zenml/metaflow")
    parser.add_argument("--venvs", default="scratch/peers/orchestration")
    parser.add_argument("--harness", type=Path, default=find_harness())
    parser.add_argument("--timeout", type=int, default=900)
    parser.add_argument("--out", type=Path, default=HERE / "results.jsonl")
    args = parser.parse_args()
    if args.harness is None:
        parser.error("cannot find shared/peers/orchestration; pass --harness")
    args.venvs = str(Path(args.venvs).resolve())
    rows: list[dict] = []
    slow = {"prefect", "zenml", "metaflow"}
    sitting = time.strftime("%Y-%m-%dT%H:%M:%S")
    for rep in range(args.reps):
        for workload in args.workloads.split(","):
            for tool in args.tools.split(","):
                if tool in slow and rep >= args.slow_reps:
                    continue
                found = run_once(tool, workload, args)
                for row in found:
                    row["rep"] = rep
                    row["sitting"] = sitting
                rows += found
                modes = " ".join(
                    f"{r.get('mode')}={round(r['wall_s'], 3)}"
                    for r in found
                    if r.get("wall_s") is not None
                )
                print(
                    f"rep{rep} {workload} {tool}: {modes or found[0].get('tail', '')[-200:]}",
                    flush=True,
                )
    summary = summarise(rows)
    result = {"summary": summary, "o2_ratio_to_plain": ratios(summary), "cpus": os.cpu_count()}
    with open(args.out, "a") as handle:
        for row in rows:
            handle.write(json.dumps(row, default=str) + "\n")
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Start-up cost: ``import loopml`` (target < 50 ms) and ``loopml --help`` (< 300 ms).

Each figure is the wall time and the CPU time of a fresh interpreter, minus those of an
interpreter that imports nothing (``python -c pass``), so it is what loopml adds to a
process start. On a loaded machine the CPU time is the steadier figure. The
import is also broken down with ``-X importtime`` (the slowest own and third-party
modules). Prints one JSON line; not a test (machines differ and CI boxes are loaded).

    python bench/startup/run_loopml.py [--reps 15] [--smoke]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

TARGETS_MS = {"import_loopml": 50.0, "cli_help": 300.0}


def _once(command: list[str]) -> tuple[float, float]:
    """Return (wall ms, CPU ms of the child) of one run."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True)
    wall = (time.perf_counter() - start) * 1000
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) * 1000
    return wall, cpu


def _series(command: list[str], reps: int) -> list[tuple[float, float]]:
    _once(command)  # warm the file cache and the .pyc files
    return [_once(command) for _ in range(reps)]


def _summary(values: list[tuple[float, float]], base: dict[str, float]) -> dict[str, float]:
    walls, cpus = [w for w, _ in values], [c for _, c in values]
    return {
        "wall_median_ms": round(statistics.median(walls) - base["wall"], 1),
        "wall_min_ms": round(min(walls) - base["wall"], 1),
        "cpu_median_ms": round(statistics.median(cpus) - base["cpu"], 1),
        "cpu_min_ms": round(min(cpus) - base["cpu"], 1),
    }


def _import_profile(top: int = 8) -> dict[str, object]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import loopml"],
        check=True,
        capture_output=True,
        text=True,
    )
    rows = []
    for line in done.stderr.splitlines():
        fields = line.removeprefix("import time:").split("|")
        if len(fields) == 3 and fields[0].strip().isdigit():
            rows.append((fields[2].strip(), int(fields[0]), int(fields[1])))
    modules = [name for name, _, _ in rows]
    return {
        "modules_imported": len(modules),
        "loopml_modules": sorted(m for m in modules if m.startswith("loopml")),
        "slowest_self_us": sorted(((n, s) for n, s, _ in rows), key=lambda r: -r[1])[:top],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--smoke", action="store_true", help="3 repetitions (CI)")
    args = parser.parse_args()
    reps = 3 if args.smoke else args.reps
    python = sys.executable
    cli = str(Path(python).with_name("loopml"))
    empty = _series([python, "-c", "pass"], reps)
    baseline = {
        "wall": statistics.median(w for w, _ in empty),
        "cpu": statistics.median(c for _, c in empty),
    }
    result: dict[str, object] = {
        "bench": "startup",
        "python": sys.version.split()[0],
        "load_average": list(os.getloadavg()),
        "reps": reps,
        "baseline_python_ms": {k: round(v, 1) for k, v in baseline.items()},
        "import_loopml": _summary(_series([python, "-c", "import loopml"], reps), baseline),
        "cli_help": _summary(_series([cli, "--help"], reps), baseline),
        "targets_ms": TARGETS_MS,
        "import_profile": _import_profile(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

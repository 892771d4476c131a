"""M-rerun: ``loopml demo --json`` twice on one fresh home (the second run reads the first's log).

A monitor window reads every event file written in the last ten minutes, so the second
demo on the same home evaluates its windows over the first run's files too. Prints one
JSON object: wall and CPU seconds (children's user + system) of each run, their ratio,
the load average, and each run's summary figures.

    python bench/monitoring/demo_rerun.py                    # this tree's sources
    python bench/monitoring/demo_rerun.py --src /work/main   # another tree (the baseline)
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIGURES = ("requests", "failed_requests", "promotions", "rollbacks", "blocked_challengers",
           "detection_s", "validated_s", "serving_s", "error")  # fmt: skip


def _run(src: Path, home: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(src / "src")}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "loopml.cli.main", "demo", "--json"],
        cwd=home, env=env, capture_output=True, text=True, check=False,
    )  # fmt: skip
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    out: dict[str, object] = {"rc": done.returncode, "wall_s": round(wall, 1),
                              "cpu_s": round(cpu, 1), "load": os.getloadavg()}  # fmt: skip
    try:
        summary = json.loads(done.stdout[done.stdout.index("{") :])
    except ValueError:
        out["stderr"] = done.stderr[-2000:]
        return out
    out.update({k: summary.get(k) for k in FIGURES})
    out["stages"] = {s["name"]: s["seconds"] for s in summary.get("stages", [])}
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=Path(__file__).resolve().parents[2])
    args = parser.parse_args()
    home = tempfile.mkdtemp(prefix="loopml-demo-rerun-")
    runs = [_run(args.src.resolve(), home) for _ in range(2)]
    first, second = (float(r["wall_s"]) for r in runs)  # type: ignore[arg-type]
    print(json.dumps({"tree": str(args.src), "home": home, "runs": runs,
                      "second_over_first": round(second / first, 2)}))  # fmt: skip


if __name__ == "__main__":
    main()

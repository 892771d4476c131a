"""L1: the closed loop on the demo scenario (see /work/shared/design/BENCHMARKS.md).

Deploys a champion behind a real model server, streams traffic with delayed labels,
injects drift, and measures seconds from drift onset to detection, to a validated
challenger and to the challenger serving; failed requests during the swap; quality
(accuracy of answers callers got) before, during and after. Prints one JSON object.

    python bench/loop/run_loopml.py              # one full measurement
    python bench/loop/run_loopml.py --repeat 3   # medians of three
    python bench/loop/run_loopml.py --smoke      # CI smoke run (the same, once)

No peer does this out of the box, so there is no peer column; the targets are < 60 s
from onset to serving, 0 failed requests, quality back within 2 points.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time

import loopml as lm

KEYS = ("detection_s", "validated_s", "serving_s", "failed_during_swap", "failed_requests",
        "requests", "quality_before", "quality_during", "quality_after")  # fmt: skip


def measure(home: str, rate_hz: float) -> dict[str, object]:
    lm.configure(home=home)
    started = time.perf_counter()
    summary = lm.run_demo(rate_hz=rate_hz, acts=1)
    out = {k: getattr(summary, k) for k in KEYS}
    out["seconds"] = round(time.perf_counter() - started, 2)
    out["error"] = summary.error
    out["stages"] = summary.stages
    return out


def _median(values: list[object]) -> float:
    found = [float(v) for v in values if isinstance(v, int | float)]
    return statistics.median(found) if found else float("nan")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--rate", type=float, default=25.0, help="requests/s (20 rows each)")
    parser.add_argument("--smoke", action="store_true", help="one run (CI smoke test)")
    parser.add_argument("--home", default=None, help="LOOPML_HOME (default: a temporary one)")
    args = parser.parse_args(argv)
    load_before = os.getloadavg()
    runs = []
    with tempfile.TemporaryDirectory(prefix="loopml-bench-loop-") as scratch:
        for i in range(1 if args.smoke else args.repeat):
            runs.append(measure(args.home or os.path.join(scratch, f"home{i}"), args.rate))
    numbers = {k: _median([r[k] for r in runs]) for k in KEYS}
    quality_gap = (
        None if numbers["quality_before"] != numbers["quality_before"]
        else round(float(numbers["quality_before"]) - float(numbers["quality_after"]), 2)
    )  # fmt: skip
    result = {
        "system": "loopml",
        "workload": "L1",
        "repeats": len(runs),
        **{f"median_{k}": v for k, v in numbers.items()},
        "quality_gap_points": quality_gap,
        "targets": {
            "onset_to_serving_under_60s": numbers["serving_s"] < 60,
            "zero_failed_requests": numbers["failed_requests"] == 0,
            "quality_within_2_points": quality_gap is not None and quality_gap <= 2.0,
        },
        "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "cpus": os.cpu_count(),
        "runs": runs,
    }
    print(json.dumps(result, indent=2, default=str))
    return 0 if all(not r["error"] for r in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

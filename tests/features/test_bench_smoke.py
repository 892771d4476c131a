"""The F1-F3 benchmark runs end to end at a tiny size (correctness asserted, no timings)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke_run_is_correct() -> None:
    done = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench/features/run_loopml.py"),
            "--smoke",
            "--workloads",
            "f1,f2,f3",
        ],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["f1_correctness"]["match"] is True
    assert record["raw_duckdb_asof"]["check"]["match"] is True
    assert record["online_values_match_latest"] is True
    assert record["f3_single"]["n"] == 2000

"""The serving benchmark runs end to end at a tiny size (no timings asserted)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_smoke_run_prints_one_json_record():
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench/serving/run_loopml.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    record = json.loads(done.stdout.strip().splitlines()[-1])
    assert record["workload"] == "smoke"
    assert record["requests"] == 50
    assert record["batch_rows"] == 500

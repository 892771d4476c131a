"""A tiny run of the monitoring benchmark (no data files; the real runs are never tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runner_smoke() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "monitoring" / "run_loopml.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    body = json.loads(done.stdout)
    assert body["flags"] == ["a", "c"]
    assert body["stream_flags"] == [[], ["a", "c"]]

"""A tiny run of the orchestration benchmark (the real runs are never tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_benchmark_runner_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "orchestration" / "run_loopml.py"), "--smoke"],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
        cwd=tmp_path,
    )
    rows = [json.loads(line[len("RESULT ") :]) for line in done.stdout.splitlines()]
    assert [r["mode"] for r in rows] == ["first", "rerun(no-cache)", "cached"]
    assert all(r["ok"] for r in rows)
    assert rows[0]["metadata"] == {"step_runs": 10, "tracking_runs": 11, "lineage_edges": 36}
    assert rows[2]["step_status"] == {"CACHED": 10}

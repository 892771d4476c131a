"""The tracking benchmarks run end to end at a tiny size (no timings asserted)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(script: str) -> list[dict[str, object]]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "tracking" / script), "--smoke"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]


def test_logging_and_search_benchmark_smoke() -> None:
    (record,) = _run("run_loopml.py")
    assert record["T2"]["search_correct"] is True
    assert record["T2"]["history"]["correct"] is True


def test_short_runs_benchmark_smoke() -> None:
    records = _run("short_runs.py")
    by_place = {r["where"]: r for r in records if r.get("system") == "loopml"}
    assert set(by_place) == {"tmp", "repo"}
    assert by_place["tmp"]["git_commit"] is None
    assert by_place["repo"]["git_commit"]  # inside this work tree the commit is recorded
    summary = records[-1]
    for home in ("existing", "new"):
        assert summary[f"loopml_fresh_{home}_home_wall_s"] > 0
        assert summary[f"loopml_fresh_{home}_home_cpu_s"] > 0
    assert "load_before" in summary

"""bench/scale runs at a tiny size on PostgreSQL (smoke test, never timed)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.timeout(600)
def test_scale_bench_smoke():
    server = os.environ.get("LOOPML_TEST_POSTGRES_URL")
    if not server:
        pytest.skip("LOOPML_TEST_POSTGRES_URL is not set")
    out = subprocess.run(
        [
            sys.executable,
            str(ROOT / "bench" / "scale" / "run_loopml.py"),
            "--db",
            server,
            "--smoke",
        ],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
    )
    records = [json.loads(line) for line in out.stdout.splitlines()]
    phases = {r["phase"]: r for r in records}
    wanted = {"search", "metric-history", "monitoring-window-1h", "lineage-prediction"}
    assert wanted | {"feedback-join-all"} <= set(phases)
    assert phases["metric-history"]["points"] == 100  # 10^7 points over 10^5 runs
    assert phases["search"]["results"] > 0
    assert phases["lineage-prediction"]["nodes"] >= 5  # prediction ... run, data, environment
    join = phases["feedback-join-all"]
    assert (join["rows"], join["labelled"], join["streamed"]) == (1000, 1000, True)

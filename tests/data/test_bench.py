"""The data benchmark runs at smoke size and reports content-complete digests."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "data" / "run_loopml.py"


def test_benchmark_smoke(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--smoke"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
        timeout=120,
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["system"] == "loopml"
    assert result["rows"] == 1000
    assert result["detects_one_changed_value"] is True

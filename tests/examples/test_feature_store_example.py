from __future__ import annotations

import runpy
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_feature_store_example_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    runpy.run_path(str(EXAMPLES / "feature_store.py"), run_name="__main__")
    out = capsys.readouterr().out
    assert "view activity: v1 created" in out
    assert "materialized activity: 300 entities" in out
    assert "online/offline check: 50/50 match" in out
    assert "training set churn_training@1 (2000 rows)" in out

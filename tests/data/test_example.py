"""The datasets example runs end to end on embedded defaults."""

from __future__ import annotations

import runpy
from pathlib import Path

import loopml as lm

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "datasets.py"


def test_datasets_example_runs(sqlite_client: lm.Client, capsys) -> None:
    runpy.run_path(str(EXAMPLE), run_name="__main__")
    out = capsys.readouterr().out
    assert "same content again -> customers@1" in out
    assert [v.version for v in lm.list_dataset_versions("customers")] == [1, 2]

"""The demo examples run end to end (what `make demo` runs)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_quickstart_trains_tracks_and_searches(tmp_path: Path) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home"), "MPLBACKEND": "Agg"}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "quickstart.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "best run" in done.stdout
    assert "loopml runs list -e quickstart" in done.stdout
    assert (tmp_path / "home" / "loopml.db").is_file()


def test_monitoring_example_detects_drift_and_writes_a_report(tmp_path: Path) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "monitoring.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "alert opened: [critical] drift.share >= 0.3" in done.stdout
    assert "hour 0: rows 120, drifted -" in done.stdout
    assert "<svg" in (tmp_path / "cancer-report.html").read_text()


def test_model_registry_example_registers_promotes_and_loads(tmp_path: Path) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "model_registry.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "registered models:/cancer/2: sklearn" in done.stdout
    assert "bad input refused: mean radius" in done.stdout
    assert "cancer-strict (python) predicts" in done.stdout
    assert "history: champion moved" in done.stdout
    assert "history: challenger deleted" in done.stdout


def test_serving_example_serves_swaps_logs_and_batch_scores(tmp_path: Path) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "serving.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "from version 1" in done.stdout
    assert "bad input -> 422 column 'mean_radius' expects float64" in done.stdout
    assert "alias moved; now serving version 2" in done.stdout
    assert "batch scored 569 rows; ['prediction', 'score']" in done.stdout


def test_pipelines_example_caches_and_explains(tmp_path: Path) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home")}
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "pipelines.py")],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    assert "second run: {'CACHED': 9}" in done.stdout
    assert "param c changed (1.0 -> 10.0)" in done.stdout
    assert "loopml pipelines graph" in done.stdout


def test_examples_use_only_the_public_api() -> None:
    """Examples import ``loopml`` as ``lm`` and nothing private or internal."""
    import ast

    for path in sorted((ROOT / "examples").glob("*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("loopml"):
                raise AssertionError(f"{path.name}:{node.lineno} imports from {node.module}")
            if isinstance(node, ast.Import):
                for alias in node.names:
                    assert alias.name == "loopml" or not alias.name.startswith("loopml"), (
                        f"{path.name}:{node.lineno} imports {alias.name}"
                    )
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id == "lm"
            ):
                assert not node.attr.startswith("_"), f"{path.name}: lm.{node.attr}"

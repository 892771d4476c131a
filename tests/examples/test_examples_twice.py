"""Examples use the public API only, and a second run on the same home prints the same results."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"

#: per example, the lines that carry its results (compared run to run); ``None``: every line.
#: The rest may differ by design on a re-run: ids, new version numbers, an idempotent
#: ``apply`` that says "unchanged", a materialization with nothing new, a cached step.
RESULTS: dict[str, list[str] | None] = {
    "quickstart.py": [r"^\s*\d+\s+\S+-\d", r"^best run "],
    "model_registry.py": [r"^registered ", r"^champion is ", r"^bad input ", r" predicts "],
    "serving.py": [r"^predictions ", r"^V2 output", r"^bad input", r"^alias moved", r"^batch "],
    "datasets.py": None,
    "feature_store.py": [r"^\s*\d+\s+\d+ ", r"^rows without", r"^training set", r"^online"],
    "monitoring.py": None,
    "pipelines.py": [r"^\s+\d+\. ", r"^first run ", r"^second run"],
}
_MASKS = [
    (re.compile(r"\b[0-9a-f]{8,}\b"), "<id>"),
    (re.compile(r"(models:/[\w.-]+/)\d+"), r"\1<v>"),
    (re.compile(r"\bversion \d+"), "version <v>"),
]


def _results(example: str, out: str) -> list[str]:
    patterns = RESULTS[example]
    lines = []
    for line in out.splitlines():
        if patterns is not None and not any(re.search(p, line) for p in patterns):
            continue
        for mask, replacement in _MASKS:
            line = mask.sub(replacement, line)
        lines.append(line)
    return lines


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.append(node.module)
    return names


def test_every_example_is_covered() -> None:
    assert {p.name for p in EXAMPLES.glob("*.py")} - {"run_demo.py"} == set(RESULTS)


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.py")), ids=lambda p: p.name)
def test_examples_import_only_the_public_api(path: Path) -> None:
    inner = [n for n in _imports(path) if n.startswith("loopml.")]
    assert inner == [], f"{path.name} imports {inner}; use `import loopml as lm`"
    private = sorted(
        {
            node.attr
            for node in ast.walk(ast.parse(path.read_text()))
            if isinstance(node, ast.Attribute)
            and isinstance(node.value, ast.Name)
            and node.value.id == "lm"
            and node.attr.startswith("_")
        }
    )
    assert private == [], f"{path.name} uses private names lm.{private}"


@pytest.mark.timeout(900)
@pytest.mark.parametrize("example", sorted(RESULTS))
def test_an_example_runs_twice_on_one_home_with_the_same_results(
    example: str, tmp_path: Path
) -> None:
    env = {**os.environ, "LOOPML_HOME": str(tmp_path / "home"), "MPLBACKEND": "Agg"}
    outputs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, str(EXAMPLES / example)],
            cwd=tmp_path,
            env=env,
            capture_output=True,
            text=True,
            timeout=400,
            check=False,
        )
        assert done.returncode == 0, done.stderr[-3000:]
        outputs.append(_results(example, done.stdout))
    first, second = outputs
    assert first, f"{example} printed none of its result lines"
    assert second == first

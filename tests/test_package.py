"""Guards on the package shape: a light import, a complete public namespace, a fast CLI."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest
import typer.main

import loopml
from loopml.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ["sqlalchemy", "pandas", "pyarrow", "fastapi", "duckdb", "sklearn", "numpy"]


def _loaded_after(code: str) -> list[str]:
    probe = f"import sys; {code}; print(','.join(m for m in {HEAVY!r} if m in sys.modules))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return [m for m in done.stdout.strip().split(",") if m]


def test_import_loopml_loads_nothing_heavy() -> None:
    assert _loaded_after("import loopml") == []


def test_python_dash_m_loopml_and_version() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "loopml", "--version"], capture_output=True, text=True, check=True
    )
    lines = dict(line.split(" ", 1) for line in done.stdout.strip().splitlines())
    assert lines["loopml"] == loopml.__version__
    assert {"python", "sqlalchemy", "pandas", "fastapi", "scikit-learn"} <= set(lines)
    helped = subprocess.run([sys.executable, "-m", "loopml", "--help"], capture_output=True)
    assert helped.returncode == 0
    assert b"Usage: loopml" in helped.stdout


def test_cli_import_loads_nothing_heavy() -> None:
    assert _loaded_after("import loopml.cli.main") == []


def test_all_is_sorted_complete_and_resolvable() -> None:
    assert loopml.__all__ == sorted(loopml.__all__)
    for name in loopml.__all__:
        assert getattr(loopml, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = loopml.nope  # type: ignore[attr-defined]


def _commands() -> list[tuple[str, object]]:
    root = typer.main.get_command(app)
    found: list[tuple[str, object]] = []

    def walk(prefix: str, command) -> None:
        if hasattr(command, "commands"):
            for name, sub in sorted(command.commands.items()):
                walk(f"{prefix} {name}".strip(), sub)
        else:
            found.append((prefix, command))

    walk("", root)
    return found


def test_every_command_has_help_with_an_example_and_a_doc_entry() -> None:
    docs = (ROOT / "docs/cli.md").read_text()
    commands = _commands()
    assert len(commands) >= 10
    for name, command in commands:
        text = getattr(command, "help", None) or ""
        assert text, f"loopml {name} has no help"
        assert "Example:" in text, f"loopml {name} help has no 'Example:' line"
        assert f"`loopml {name}`" in docs, f"loopml {name} is missing from docs/cli.md"


def _package_inits() -> list[Path]:
    return sorted((ROOT / "src/loopml").rglob("__init__.py"))


ALLOWED_IMPORTS = {
    "from __future__ import annotations",
    "from typing import TYPE_CHECKING",
    "from loopml._utils import lazy",
    "from loopml import _hooks",  # the root registers the default-client factory
}


@pytest.mark.parametrize("init", _package_inits(), ids=lambda p: str(p.parent.name))
def test_every_package_init_follows_the_one_lazy_rule(init: Path) -> None:
    """A docstring, optionally one TYPE_CHECKING block of re-exports and lazy.attach."""
    tree = ast.parse(init.read_text())
    body = tree.body[1:] if ast.get_docstring(tree) is not None else tree.body
    for node in body:
        if isinstance(node, ast.ImportFrom | ast.Import):
            assert ast.unparse(node) in ALLOWED_IMPORTS, f"{init}: {ast.unparse(node)}"
        elif isinstance(node, ast.If):
            assert ast.unparse(node.test) == "TYPE_CHECKING", init
            assert all(isinstance(n, ast.ImportFrom) for n in node.body), init
            attach = ast.unparse(node.orelse[0])
            assert attach == "__getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)"
        else:
            raise AssertionError(f"{init} runs code: {ast.unparse(node)[:80]}")

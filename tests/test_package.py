"""Guards on the package shape: a light import, a complete public namespace, a fast CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

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


def test_cli_import_loads_nothing_heavy() -> None:
    assert _loaded_after("import loopml.cli.main") == []


def test_all_is_sorted_complete_and_resolvable() -> None:
    assert loopml.__all__ == sorted(loopml.__all__)
    for name in loopml.__all__:
        assert getattr(loopml, name) is not None, name


def test_unknown_attribute_is_an_attribute_error() -> None:
    import pytest

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


def test_cli_help_is_fast() -> None:
    exe = Path(sys.executable).with_name("loopml")
    timings = []
    for _ in range(3):
        start = time.perf_counter()
        subprocess.run([str(exe), "--help"], capture_output=True, check=True)
        timings.append(time.perf_counter() - start)
    # The target is 300 ms on a quiet machine; allow for a loaded CI box.
    assert min(timings) < 0.6, timings

"""Docs describe what exists: every loopml module they name imports, every command has help."""

from __future__ import annotations

import importlib
import pkgutil
import re
from pathlib import Path

import typer
from typer.testing import CliRunner

import loopml
from loopml.cli.main import app

ROOT = Path(__file__).resolve().parents[1]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
SUBPACKAGES = {m.name for m in pkgutil.iter_modules(loopml.__path__)}
MODULE = re.compile(r"\bloopml((?:\.[A-Za-z_][A-Za-z0-9_]*)+)")
COMMAND = re.compile(r"(?:^|[`\s$(])loopml((?: [a-z][a-z-]*){1,2})")


def _named_modules() -> set[str]:
    found = set()
    for doc in DOCS:
        for match in MODULE.finditer(doc.read_text()):
            parts = match.group(1).strip(".").split(".")
            if parts[0] in SUBPACKAGES:  # loopml.yaml, loopml.gates (a tag) are not modules
                found.add("loopml." + ".".join(parts))
    return found


def _resolves(name: str) -> bool:
    """Import the longest module prefix of ``name``, then look the rest up as attributes."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        for attribute in parts[cut:]:
            if not hasattr(found, attribute):
                return False
            found = getattr(found, attribute)
        return True
    return False


def test_every_module_the_docs_name_exists() -> None:
    missing = sorted(name for name in _named_modules() if not _resolves(name))
    assert missing == []


def _commands() -> set[tuple[str, ...]]:
    root = typer.main.get_command(app)
    found = set()
    for doc in DOCS:
        for match in COMMAND.finditer(doc.read_text()):
            words = match.group(1).split()
            command = root.commands.get(words[0])
            if command is None:
                continue  # prose such as "loopml is", checked below only for real groups
            if hasattr(command, "commands") and len(words) > 1 and words[1] in command.commands:
                found.add((words[0], words[1]))
            else:
                found.add((words[0],))
    return found


def test_every_command_the_docs_show_has_help() -> None:
    commands = _commands()
    assert ("up",) in commands
    runner = CliRunner()
    for words in sorted(commands):
        result = runner.invoke(app, [*words, "--help"])
        assert result.exit_code == 0, (words, result.output)
        assert "Usage" in result.output


def test_the_docs_name_no_command_that_does_not_exist() -> None:
    root = typer.main.get_command(app)
    unknown = set()
    for doc in DOCS:
        for block in re.findall(r"```(?:bash|sh|console)?\n(.*?)```", doc.read_text(), re.S):
            for line in block.splitlines():
                words = line.strip().split()
                if (
                    len(words) > 1
                    and words[0] == "loopml"
                    and not words[1].startswith("-")
                    and words[1] not in root.commands
                ):
                    unknown.add((doc.name, words[1]))
    assert sorted(unknown) == []

"""Shared CLI output: rich tables for people, ``--json`` for scripts.

rich is imported on first output (:mod:`loopml.cli._console`), not when a command module
is imported, so ``loopml --help`` (and every command that prints nothing) starts without it.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import typer

from loopml.cli._console import console, err_console

__all__ = [
    "JSON_OPTION",
    "console",
    "err_console",
    "format_cell",
    "format_ms",
    "jsonable",
    "print_json",
    "print_table",
]

JSON_OPTION = typer.Option(False, "--json", help="Print JSON instead of a table.")


def jsonable(value: Any) -> Any:
    """Convert dataclasses, datetimes and NaN into JSON-ready values."""
    if hasattr(value, "__dataclass_fields__"):
        return {name: jsonable(getattr(value, name)) for name in value.__dataclass_fields__}
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None if math.isnan(value) else str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def print_json(value: Any) -> None:
    """Print ``value`` as indented JSON on stdout (no colour, no wrapping)."""
    typer.echo(json.dumps(jsonable(value), indent=2, default=str))


def print_table(title: str | None, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    """Print a rich table."""
    from rich.table import Table

    table = Table(title=title, show_lines=False, header_style="bold cyan")
    for column in columns:
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(format_cell(cell) for cell in row))
    console.print(table)


def format_cell(value: Any) -> str:
    """Render one table cell."""
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.6g}"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return str(value)


def format_ms(ms: int | None) -> str:
    """Render epoch milliseconds as a UTC timestamp."""
    if ms is None:
        return "-"
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S")

"""``loopml diff A B``: two runs, model versions or dataset versions side by side."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json, print_table


def diff(
    a: str = typer.Argument(
        ..., help="Run id, model version (churn/3, churn@champion) or dataset."
    ),
    b: str = typer.Argument(..., help="The other one, of the same kind."),
    all_rows: bool = typer.Option(False, "--all", help="Show equal rows too."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare code, environment, data, params and metrics of two runs or versions.

    Example: loopml diff churn@champion churn@challenger
    """
    comparison = lm.diff(a, b)
    if as_json:
        print_json(comparison.to_dict())
        return
    shown = comparison.sections if all_rows else comparison.differences
    for section, rows in shown.items():
        if not rows:
            continue
        print_table(
            section,
            ["", a, b],
            [(r.key, r.a, r.b) for r in rows],
        )
    if not any(comparison.differences.values()):
        console.print("no differences")

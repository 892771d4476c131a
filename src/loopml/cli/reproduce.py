"""``loopml reproduce RUN``: rebuild a run's code and environment, re-run it, compare."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json, print_table


def reproduce(
    run_id: str = typer.Argument(..., help="The run to reproduce."),
    tolerance: float = typer.Option(1e-6, help="Tolerance of metric comparisons."),
    fresh_env: bool = typer.Option(False, "--fresh-env", help="Always build a new venv."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Check out the run's commit and diff, rebuild its environment, re-run and compare.

    Example: loopml reproduce 4f2c0e... --fresh-env
    """
    with console.status(f"reproducing {run_id}"):
        result = lm.reproduce(run_id, tolerance=tolerance, fresh_env=fresh_env)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(
        f"original {result.original} -> reproduced {result.reproduced} ({result.environment})"
    )
    if result.is_identical:
        console.print("[green]identical[/green]: params, metrics and artifacts match")
        return
    print_table(
        f"{len(result.differences)} difference(s)",
        ["kind", "key", "original", "reproduced"],
        [(d["kind"], d["key"], d["a"], d["b"]) for d in result.differences],
    )
    raise typer.Exit(1)

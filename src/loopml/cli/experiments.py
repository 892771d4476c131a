"""``loopml experiments``: list, create, rename and delete experiments."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, format_ms, print_json, print_table

app = typer.Typer(help="Manage experiments.", no_args_is_help=True)


@app.command("list")
def list_(
    include_deleted: bool = typer.Option(False, "--all", help="Include deleted experiments."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List experiments with their run counts.

    Example: loopml experiments list --json
    """
    runs = lm.get_client().runs
    experiments = runs.list_experiments(include_deleted=include_deleted)
    counts = {e.id: runs.count_runs(e.id) for e in experiments}
    if as_json:
        print_json([{**_row(e), "runs": counts[e.id]} for e in experiments])
        return
    rows = [
        (e.id, e.name, counts[e.id], format_ms(e.created_at), "deleted" if e.is_deleted else "")
        for e in experiments
    ]
    print_table("experiments", ["id", "name", "runs", "created (UTC)", ""], rows)


def _row(experiment: lm.Experiment) -> dict[str, object]:
    return {
        "id": experiment.id,
        "name": experiment.name,
        "description": experiment.description,
        "created_at": experiment.created_at,
        "deleted": experiment.is_deleted,
    }


@app.command("create")
def create(
    name: str,
    description: str = typer.Option(None, "--description", "-d", help="What it is about."),
) -> None:
    """Create an experiment.

    Example: loopml experiments create churn -d "monthly churn model"
    """
    experiment = lm.create_experiment(name, description)
    console.print(f"created experiment {experiment.name!r} (id {experiment.id})")


@app.command("rename")
def rename(name: str, new_name: str) -> None:
    """Rename an experiment.

    Example: loopml experiments rename churn churn-v2
    """
    experiment = lm.get_client().runs.rename_experiment(name, new_name)
    console.print(f"renamed to {experiment.name!r}")


@app.command("delete")
def delete(name: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Mark an experiment deleted (its runs stay readable).

    Example: loopml experiments delete old-trials --yes
    """
    if not yes:
        typer.confirm(f"Delete experiment {name!r}?", abort=True)
    lm.get_client().runs.delete_experiment(name)
    console.print(f"deleted experiment {name!r}")

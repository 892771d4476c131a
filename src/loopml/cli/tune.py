"""``loopml tune``: the hyper-parameter studies of this store, their trials and best trial."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json, print_table

app = typer.Typer(help="Hyper-parameter studies (Optuna) and their trials.", no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List the studies in the metadata database.

    Example: loopml tune list
    """
    names = lm.get_client().tuner.list_studies()
    if as_json:
        print_json(names)
        return
    print_table(f"{len(names)} stud(y/ies)", ["study"], [(n,) for n in names])


@app.command("show")
def show(
    study: str = typer.Argument(..., help="Study name (see loopml tune list)."),
    html: Path | None = typer.Option(None, help="Write an HTML report with the history plot."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a study's best trial and every trial; --html writes a report with a plot.

    Example: loopml tune show churn-tune --html study.html
    """
    tuner = lm.get_client().tuner
    summary = tuner.summary(study)
    if html is not None:
        html.write_text(tuner.html_report(summary), encoding="utf-8")
        console.print(f"wrote {html}")
    if as_json:
        print_json(summary)
        return
    best = summary.best
    if best is not None:
        console.print(
            f"[bold]best[/bold] trial {best.number}: value {best.value:.6g} "
            f"params {best.params} run {best.run_id}"
        )
    print_table(
        f"study {summary.name} ({', '.join(summary.directions)})",
        ["trial", "state", "value", "params", "run"],
        [(r.number, r.state, r.value, r.params, r.run_id) for r in summary.trials],
    )

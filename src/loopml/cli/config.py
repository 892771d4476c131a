"""``loopml config``: show the resolved settings and where each came from."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, print_json, print_table

app = typer.Typer(help="Show configuration.", no_args_is_help=True)


@app.command("show")
def show(as_json: bool = JSON_OPTION) -> None:
    """Show every setting with its value and source.

    Example: loopml config show --json
    """
    settings = lm.get_client().settings
    rows = settings.describe()
    if as_json:
        print_json({name: {"value": value, "source": source} for name, value, source in rows})
        return
    print_table("loopml settings", ["setting", "value", "source"], rows)

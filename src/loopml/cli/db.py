"""``loopml db``: apply migrations and show the schema revision."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json

app = typer.Typer(help="Manage the metadata database.", no_args_is_help=True)


@app.command("upgrade")
def upgrade() -> None:
    """Bring the metadata database schema to the latest revision.

    Example: LOOPML_DB_URL=postgresql://postgres@127.0.0.1/loopml loopml db upgrade
    """
    client = lm.get_client()
    applied = client.upgrade_database()
    status = client.database_status()
    state = "upgraded" if applied else "already current"
    console.print(f"{status['url']}: {state} (latest: {status['latest']})")


@app.command("status")
def status(as_json: bool = JSON_OPTION) -> None:
    """Show the database URL and whether its schema is current.

    Example: loopml db status --json
    """
    body = lm.get_client().database_status()
    if as_json:
        print_json(body)
        return
    mark = "[green]up to date[/]" if body["up_to_date"] else "[yellow]needs `loopml db upgrade`[/]"
    console.print(f"{body['url']}: {mark}")
    console.print(f"  current: {body['current'] or 'empty'}\n  latest:  {body['latest']}")

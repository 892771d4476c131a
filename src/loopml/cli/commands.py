"""The ``loopml`` Typer app: the command groups and commands, and the root options.

The entry point (:func:`loopml.cli.main.main`) imports this module only for a command
line that the quick serve path (:mod:`loopml.cli.quick_serve`) leaves to Typer.
"""

from __future__ import annotations

import platform
from typing import Any

import typer

from loopml._version import __version__
from loopml.cli import (
    ci,
    config,
    datasets,
    db,
    demo,
    deploy,
    diff,
    experiments,
    features,
    gc,
    init,
    lineage,
    loop,
    models,
    monitor,
    pipelines,
    reproduce,
    runs,
    scheduler,
    serve,
    status,
    tune,
    up,
    users,
)

_APP_OPTIONS: dict[str, Any] = {
    "name": "loopml",
    "help": "loopml: tracking, registry, pipelines, features, serving, monitoring, the loop.",
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "add_completion": False,
    # Plain help: rich-formatted help imports rich.markdown and friends, which doubles
    # the start-up of `loopml --help` (see bench/startup).
    "rich_markup_mode": None,
}
app = typer.Typer(**_APP_OPTIONS)

#: distributions whose versions ``loopml --version`` reports (read from their metadata,
#: without importing them)
KEY_DEPENDENCIES = (
    "sqlalchemy",
    "alembic",
    "pandas",
    "numpy",
    "pyarrow",
    "duckdb",
    "scikit-learn",
    "scipy",
    "fastapi",
    "uvicorn",
    "typer",
)


def versions() -> dict[str, str]:
    """Return the versions of Python, loopml and its key dependencies (``not installed``)."""
    from importlib import metadata  # reads every installed distribution: only for --version

    found = {"python": platform.python_version(), "loopml": __version__}
    for name in KEY_DEPENDENCIES:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _print_version(value: bool) -> None:
    if value:
        for name, version in versions().items():
            typer.echo(f"{name} {version}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False,
        "--version",
        callback=_print_version,
        is_eager=True,
        help="Print the versions of loopml, Python and key dependencies, and exit.",
    ),
) -> None:
    """loopml: tracking, registry, pipelines, features, serving, monitoring, the loop.

    Example: loopml runs list --experiment churn
    """


app.add_typer(config.app, name="config")
app.add_typer(datasets.app, name="datasets")
app.add_typer(db.app, name="db")
app.add_typer(experiments.app, name="experiments")
app.add_typer(features.app, name="features")
app.add_typer(loop.app, name="loop")
app.command("rollback")(loop.rollback)
app.command("ci")(ci.ci)
app.command("init")(init.init)
app.command("demo")(demo.demo)
app.add_typer(monitor.app, name="monitor")
app.add_typer(models.app, name="models")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(runs.app, name="runs")
app.add_typer(users.users_app, name="users")
app.add_typer(users.tokens_app, name="tokens")
app.add_typer(users.roles_app, name="roles")
app.command("audit")(users.audit)
app.add_typer(tune.app, name="tune")
app.command("lineage")(lineage.lineage)
app.command("diff")(diff.diff)
app.command("status")(status.status)
app.command("reproduce")(reproduce.reproduce)
app.command("scheduler")(scheduler.scheduler)
app.command("serve")(serve.serve)
app.command("predict")(serve.predict)
app.command("predictions")(serve.predictions)
app.command("up")(up.up)
app.command("deploy")(deploy.deploy)
app.command("gc")(gc.gc)


def app_for(args: list[str]) -> typer.Typer:
    """Return the app that runs ``args``: for a top-level command, one holding only it.

    Typer turns every registered command into a click command before it parses anything
    (over a hundred here, about 30 ms); ``loopml serve`` needs one of them. The slim app
    has the same root options and the same command, so usage, help and errors read the
    same; anything else (``--help``, a command group, an unknown name) runs the full app.
    """
    name = args[0] if args else None
    for info in app.registered_commands:
        if info.name is not None and info.name == name:
            slim = typer.Typer(**_APP_OPTIONS)
            slim.registered_callback = app.registered_callback
            slim.registered_commands.append(info)
            return slim
    return app

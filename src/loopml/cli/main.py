"""The ``loopml`` command: command groups, logging set-up and error reporting."""

from __future__ import annotations

import logging
import os
import sys

import typer

from loopml._utils.secrets import RedactSecrets, redact
from loopml.cli import (
    config,
    datasets,
    db,
    deploy,
    experiments,
    features,
    gc,
    models,
    monitor,
    pipelines,
    runs,
    scheduler,
    serve,
)
from loopml.cli._output import err_console
from loopml.errors import LoopmlError

app = typer.Typer(
    name="loopml",
    help="loopml: tracking, registry, pipelines, features, serving, monitoring, the loop.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
app.add_typer(config.app, name="config")
app.add_typer(datasets.app, name="datasets")
app.add_typer(db.app, name="db")
app.add_typer(experiments.app, name="experiments")
app.add_typer(features.app, name="features")
app.add_typer(monitor.app, name="monitor")
app.add_typer(models.app, name="models")
app.add_typer(pipelines.app, name="pipelines")
app.add_typer(runs.app, name="runs")
app.command("scheduler")(scheduler.scheduler)
app.command("serve")(serve.serve)
app.command("predict")(serve.predict)
app.command("predictions")(serve.predictions)
app.command("deploy")(deploy.deploy)
app.command("gc")(gc.gc)


def configure_logging() -> None:
    """Log to stderr at ``LOOPML_LOG_LEVEL`` (text on a terminal, JSON lines otherwise)."""
    level = os.environ.get("LOOPML_LOG_LEVEL", "WARNING").upper()
    handler = logging.StreamHandler()
    if sys.stderr.isatty():
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(
            logging.Formatter(
                '{"time": "%(asctime)s", "level": "%(levelname)s", "logger": "%(name)s", '
                '"message": "%(message)s"}'
            )
        )
    handler.addFilter(RedactSecrets())
    root = logging.getLogger("loopml")
    root.addHandler(handler)
    root.setLevel(level if level in logging.getLevelNamesMapping() else "WARNING")


def main() -> None:
    """Entry point of the ``loopml`` command."""
    configure_logging()
    try:
        app()
    except LoopmlError as err:
        err_console.print(
            f"[bold red]{type(err).__name__}:[/] {redact(err.message)}", highlight=False
        )
        sys.exit(1)


if __name__ == "__main__":
    main()

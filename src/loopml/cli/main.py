"""The ``loopml`` command's entry point: logging set-up, the quick serve path, error reporting.

A plain ``loopml serve`` line runs through :mod:`loopml.cli.quick_serve` without Typer;
every other line runs the Typer app of :mod:`loopml.cli.commands` (imported then). Its
names stay importable from here (``from loopml.cli.main import app``).
"""

from __future__ import annotations

import logging
import os
import sys
from typing import Any

from loopml._utils.secrets import RedactSecrets, redact
from loopml.cli import quick_serve
from loopml.cli._console import err_console
from loopml.errors import LoopmlError

#: names of :mod:`loopml.cli.commands` that this module forwards (imported on first use)
COMMANDS_NAMES = ("app", "app_for", "versions", "KEY_DEPENDENCIES")


def __getattr__(name: str) -> Any:
    if name in COMMANDS_NAMES:
        from loopml.cli import commands

        return getattr(commands, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    args = sys.argv[1:]
    try:
        quick = quick_serve.parse(args)
        if quick is not None:
            quick_serve.run(quick)
            return
        from loopml.cli.commands import app_for

        app_for(args)(prog_name="loopml")
    except LoopmlError as err:
        err_console.print(
            f"[bold red]{type(err).__name__}:[/] {redact(err.message)}", highlight=False
        )
        sys.exit(1)


if __name__ == "__main__":
    main()

"""``loopml init DIR``: scaffold a project with a pipeline, a loop, tests and model CI."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 (typer reads the annotation at run time)

import typer

import loopml as lm
from loopml.cli._output import console


def init(
    directory: Path = typer.Argument(..., help="Where to create the project."),
    name: str = typer.Option(None, "--name", "-n", help="Model name (default: folder name)."),
    force: bool = typer.Option(False, "--force", help="Overwrite existing files."),
) -> None:
    """Create a project: pipeline, monitor, loop, loopml.yaml, tests and a CI workflow.

    Example: loopml init churn-project --name churn
    """
    written = lm.init_project(directory, name, force=force)
    for path in written:
        console.print(f"  wrote {path}")
    console.print(f"next: cd {directory} && make test && python bootstrap.py && loopml ci")

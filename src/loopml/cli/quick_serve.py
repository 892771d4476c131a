"""``loopml serve`` without Typer: a plain command line is read here, the rest by Typer.

Before it parses anything, Typer imports click and pydantic and builds a pydantic
``TypeAdapter`` for every option of the command: about 0.1 s of CPU, a tenth of a
server's cold start. A server's command line is nearly always plain
(``loopml serve churn@champion --port 8000 --no-log``): :func:`parse` reads such a line
into the keyword arguments of :func:`serve` and answers ``None`` for anything else
(``--help``, an unknown or repeated option, ``--``, a short option with its value
attached, an empty value or one starting with ``-``, a number that is not plain ASCII
digits), which the entry point then hands to the Typer command (:mod:`loopml.cli.serve`),
so usage, help and errors stay Typer's. The Typer command calls :func:`serve` too;
``tests/cli/test_quick_serve.py`` checks that :data:`OPTIONS` and the defaults of
:func:`serve` are the Typer command's and that both read the same lines alike.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from typing import TYPE_CHECKING, Any, Literal, cast

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

#: the Typer command's options: flag -> (parameter of :func:`serve`, kind of value)
OPTIONS: dict[str, tuple[str, str]] = {
    "--port": ("port", "int"),
    "-p": ("port", "int"),
    "--host": ("host", "str"),
    "--workers": ("workers", "int"),
    "-w": ("workers", "int"),
    "--canary": ("canary", "str"),
    "--canary-mode": ("canary_mode", "str"),
    "--shadow": ("shadow", "str"),
    "--deployment": ("deployment", "str"),
    "-d": ("deployment", "str"),
    "--max-batch-size": ("max_batch_size", "int"),
    "--max-wait-ms": ("max_wait_ms", "float"),
    "--no-batching": ("no_batching", "flag"),
    "--no-log": ("no_log", "flag"),
    "--no-scores": ("no_scores", "flag"),
    "--poll-interval": ("poll_interval", "float"),
    "--max-body-mb": ("max_body_mb", "float"),
}
#: values read here (any other value goes to Typer) and their conversions
_PLAIN: dict[str, tuple[re.Pattern[str], Callable[[str], Any]]] = {
    "int": (re.compile(r"[0-9]{1,18}"), int),
    "float": (re.compile(r"[0-9]{1,15}(\.[0-9]{1,15})?"), float),
    "str": (re.compile(r"[^-].*", re.DOTALL), str),
}
#: set by a shell asking click for completions: Typer's business
COMPLETION_ENV = "_LOOPML_COMPLETE"


def parse(args: Sequence[str]) -> dict[str, Any] | None:
    """Return :func:`serve`'s keyword arguments for a plain ``serve ...`` line, else ``None``.

    ``args`` is the command line after the program name. Only the options given are
    returned; :func:`serve` has the Typer command's defaults.
    """
    if not args or args[0] != "serve" or COMPLETION_ENV in os.environ:
        return None
    found: dict[str, Any] = {}
    rest = iter(args[1:])
    for token in rest:
        if token and not token.startswith("-"):
            if "target" in found:
                return None
            found["target"] = token
            continue
        name, equals, attached = token.partition("=") if token.startswith("--") else (token, "", "")
        if name not in OPTIONS:
            return None
        param, kind = OPTIONS[name]
        if param in found:
            return None
        if kind == "flag":
            if equals:
                return None
            found[param] = True
            continue
        value = attached if equals else next(rest, None)
        pattern, convert = _PLAIN[kind]
        if value is None or not pattern.fullmatch(value):
            return None
        found[param] = convert(value)
    return found if "target" in found else None


def run(arguments: dict[str, Any]) -> None:
    """Call :func:`serve`, ending as the Typer command does on an interrupt or a closed pipe."""
    try:
        serve(**arguments)
    except KeyboardInterrupt:
        sys.exit(130)
    except EOFError:
        print(file=sys.stderr)
        print("Aborted!", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        if err.errno != errno.EPIPE:
            raise
        sys.exit(1)


def serve(
    target: str,
    *,
    port: int = 8000,
    host: str = "127.0.0.1",
    workers: int = 1,
    canary: str | None = None,
    canary_mode: str = "hash",
    shadow: str | None = None,
    deployment: str | None = None,
    max_batch_size: int = 64,
    max_wait_ms: float = 0.0,
    no_batching: bool = False,
    no_log: bool = False,
    no_scores: bool = False,
    poll_interval: float = 1.0,
    max_body_mb: float = 32.0,
) -> None:
    """Serve ``target`` until interrupted and print where once it listens (``loopml serve``)."""
    import loopml as lm
    from loopml.cli._console import console

    lm.serve(
        target,
        port=port,
        host=host,
        workers=workers,
        canary=canary,
        canary_mode=cast("Literal['hash', 'random']", canary_mode),  # checked by the server
        shadow=shadow,
        deployment=deployment,
        max_batch_size=1 if no_batching else max_batch_size,
        max_wait_ms=max_wait_ms,
        log_predictions=not no_log,
        log_scores=not no_scores,
        poll_interval=poll_interval,
        max_body_mb=max_body_mb,
        on_ready=lambda ready: console.print(
            f"serving {ready.model_name} version {ready.model_version} "
            f"(deployment {ready.deployment}) on {ready.url}; API docs: {ready.docs_url}"
        ),
    )

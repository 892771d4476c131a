"""The CLI's consoles: rich ``Console`` objects built, and rich imported, on first use.

Free of Typer, so that the quick ``loopml serve`` path (:mod:`loopml.cli.quick_serve`)
and the entry point can print without importing it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from rich.console import Console


class _LazyConsole:
    """A rich ``Console`` built (and rich imported) on first attribute access."""

    def __init__(self, *, stderr: bool = False) -> None:
        self._stderr = stderr
        self._console: Console | None = None

    def _built(self) -> Console:
        built = self.__dict__.get("_console")
        if built is None:
            from rich.console import Console

            built = self._console = Console(stderr=self._stderr)
        return built

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self._built(), name)

    # rich's live displays (progress bars) use the console as a context manager.
    def __enter__(self) -> Console:
        return self._built().__enter__()

    def __exit__(self, *exc: object) -> None:
        self._built().__exit__(*exc)


console = cast("Console", _LazyConsole())
err_console = cast("Console", _LazyConsole(stderr=True))

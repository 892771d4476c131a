"""What a fresh process imports for ``loopml --help`` and for one short run.

Start-up time is measured in bench/startup (machines differ, so no timed test); these
tests pin its cause instead: the modules that made start-up slow must stay unimported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

#: never needed to print the command line's help
NOT_FOR_HELP = [
    "rich",
    "sqlalchemy",
    "alembic",
    "yaml",
    "importlib.metadata",
    "pandas",
    "numpy",
    "pyarrow",
    "fastapi",
    "uvicorn",
    "sklearn",
]
#: never needed to start a run, log a metric and end it on an existing embedded store
#: (SQLAlchemy imports importlib.metadata itself, so only the scan is avoided there)
NOT_FOR_A_RUN = [
    "rich",
    "alembic",
    "yaml",
    "pandas",
    "numpy",
    "pyarrow",
    "fastapi",
    "typer",
]


def _modules_after(body: str, *, cwd: Path, env: dict[str, str] | None = None) -> set[str]:
    probe = textwrap.dedent(body) + textwrap.dedent(
        """
        import sys as _sys
        _sys.stderr.write("MODULES=" + __import__("json").dumps(sorted(_sys.modules)) + "\\n")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        check=True,
    )
    line = next(x for x in done.stderr.splitlines() if x.startswith("MODULES="))
    return set(json.loads(line.removeprefix("MODULES=")))


def test_help_imports_no_heavy_module(tmp_path: Path) -> None:
    loaded = _modules_after(
        """
        import runpy, sys
        sys.argv = ["loopml", "--help"]
        try:
            runpy.run_module("loopml", run_name="__main__")
        except SystemExit as stop:
            assert stop.code in (0, None), stop.code
        """,
        cwd=tmp_path,
    )
    assert "loopml.cli.main" in loaded
    assert sorted(loaded & set(NOT_FOR_HELP)) == []


def test_a_short_run_imports_no_heavy_module(tmp_path: Path) -> None:
    body = f"""
        import loopml as lm
        lm.configure(home={str(tmp_path / "home")!r})
        with lm.start_run("startup") as run:
            run.log_metric("m", 1.0)
        assert lm.get_run(run.id).metrics == {{"m": 1.0}}
        """
    _modules_after(body, cwd=tmp_path)  # creates and migrates the home
    loaded = _modules_after(body, cwd=tmp_path)
    assert "sqlalchemy" in loaded
    assert sorted(loaded & set(NOT_FOR_A_RUN)) == []

"""A plain ``loopml serve`` line runs without Typer and reads as the Typer command reads it.

Issue 16 item 6 (cold start): :mod:`loopml.cli.quick_serve` parses plain lines by hand, so
a server starts without Typer, its click or pydantic; anything else goes to the Typer
command. These tests hold the two together: the same options, defaults and values, and
the same ending on an interrupt, with Typer's own parsing as the reference.
"""

from __future__ import annotations

import inspect
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
import typer.main
from hypothesis import given, settings, strategies as st
from typer.testing import CliRunner

import loopml as lm
from loopml.cli import quick_serve
from loopml.cli.main import app, app_for
from tests.store_env import store_env

ROOT = Path(__file__).resolve().parents[2]
runner = CliRunner()
DEFAULTS = {
    name: p.default
    for name, p in inspect.signature(quick_serve.serve).parameters.items()
    if p.default is not inspect.Parameter.empty
}


def _typer_reads(args: list[str], monkeypatch: pytest.MonkeyPatch) -> tuple[int, dict[str, Any]]:
    """Run ``args`` through the Typer app; return its exit code and what it handed to serve."""
    seen: dict[str, Any] = {}

    def record(target: str, **options: Any) -> None:
        seen.update(target=target, **options)

    with monkeypatch.context() as patch:
        patch.setattr(quick_serve, "serve", record)
        result = runner.invoke(app, args)
    return result.exit_code, seen


def test_the_options_are_the_typer_commands() -> None:
    group = typer.main.get_command(app_for(["serve", "x"]))
    command = group.commands["serve"]  # type: ignore[attr-defined]
    table: dict[str, tuple[str, str]] = {}
    for param in command.params:
        if param.param_type_name == "argument":
            assert param.name == "target"
            continue
        if param.name == "help":
            continue
        assert (param.secondary_opts, param.envvar, param.callback) == ([], None, None)
        annotation = param.type_descriptor.annotation
        kind = "flag" if param.is_flag else annotation.__name__
        assert kind in ("flag", "int", "float", "str"), (param.name, annotation)
        table.update(dict.fromkeys(param.opts, (param.name, kind)))
        assert param.default == DEFAULTS[param.name], param.name
    assert table == quick_serve.OPTIONS
    assert set(DEFAULTS) == {name for name, _ in table.values()}


PLAIN = [
    ["serve", "churn@champion"],
    ["serve", "churn/3", "--port", "8001", "--host", "0.0.0.0", "-w", "2"],
    ["serve", "--port=9000", "churn", "--no-log", "--no-batching", "--no-scores"],
    ["serve", "churn@champion", "-p", "0800", "-d", "web", "--canary", "churn@challenger:10"],
    ["serve", "churn@champion", "--canary-mode", "random", "--shadow", "churn@shadow"],
    ["serve", "x", "--max-batch-size", "16", "--max-wait-ms", "2.5", "--poll-interval", "0"],
    ["serve", "x", "--max-body-mb=0.5", "--poll-interval", "007.25", "--host", "::1"],
]
LEFT_TO_TYPER = [
    [],
    ["--help"],
    ["--version"],
    ["serve"],
    ["serve", "--help"],
    ["serve", "x", "--help"],
    ["serve", "x", "y"],
    ["serve", "x", "--port"],
    ["serve", "x", "--port", "abc"],
    ["serve", "x", "--port", "-1"],
    ["serve", "x", "--port", "1e3"],
    ["serve", "x", "--port", "8_000"],
    ["serve", "x", "--port", "\u0663"],  # an Arabic-Indic digit: int() reads it, Typer may not
    ["serve", "x", "-p8000"],
    ["serve", "x", "--port", "1", "--port", "2"],
    ["serve", "x", "--no-log=yes"],
    ["serve", "x", "--nope"],
    ["serve", "x", "--"],
    ["serve", "x", "--host", ""],
    ["serve", ""],
    ["models", "list"],
]


@pytest.mark.parametrize("args", PLAIN, ids=" ".join)
def test_a_plain_line_reads_as_typer_reads_it(
    args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed = quick_serve.parse(args)
    assert parsed is not None
    code, seen = _typer_reads(args, monkeypatch)
    assert code == 0
    assert {**DEFAULTS, **parsed} == seen


@pytest.mark.parametrize("args", LEFT_TO_TYPER, ids=" ".join)
def test_anything_else_is_left_to_typer(args: list[str]) -> None:
    assert quick_serve.parse(args) is None


def test_a_shell_completion_request_is_left_to_typer(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(quick_serve.COMPLETION_ENV, "bash_complete")
    assert quick_serve.parse(["serve", "x"]) is None


VALUES = st.sampled_from(
    [
        *("8000", "0", "0800", "1.5", "007.5", "1e3", "-1", "", " 80", "abc", "\u0663"),
        *("\uff18", "1_000", "inf", "nan", "1.", ".5", "hash", "x@champion", "::1", "--port"),
        "-p",
    ]
)
JUNK = st.sampled_from(["--port=80", "--max-wait-ms=1.5", "--host=", "--", "-", "-p8000"])


@settings(max_examples=300, deadline=None)
@given(
    pairs=st.lists(st.tuples(st.sampled_from(list(quick_serve.OPTIONS)), VALUES), max_size=4),
    junk=st.lists(st.one_of(JUNK, VALUES), max_size=1),
    at=st.integers(0, 9),
)
def test_every_line_the_quick_path_reads_typer_reads_alike(
    pairs: list[tuple[str, str]], junk: list[str], at: int
) -> None:
    tail = [
        token
        for name, value in pairs
        for token in ((name,) if quick_serve.OPTIONS[name][1] == "flag" else (name, value))
    ]
    tail.insert(min(at, len(tail)), "churn@champion")
    args = ["serve", *tail, *junk]
    parsed = quick_serve.parse(args)
    if parsed is None:
        return
    with pytest.MonkeyPatch.context() as monkeypatch:
        code, seen = _typer_reads(args, monkeypatch)
    assert code == 0, args
    assert {**DEFAULTS, **parsed} == seen, args


@pytest.mark.parametrize("error", [KeyboardInterrupt, EOFError])
def test_an_interrupt_ends_as_under_typer(
    error: type[BaseException], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def fail(target: str, **options: Any) -> None:
        raise error

    monkeypatch.setattr(quick_serve, "serve", fail)
    typer_result = runner.invoke(app, ["serve", "x"])
    with pytest.raises(SystemExit) as stop:
        quick_serve.run({"target": "x"})
    assert stop.value.code == typer_result.exit_code
    assert capsys.readouterr().err.strip() == typer_result.output.strip()


def _loopml(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    # the console script's entry point, with an exit hook listing what was imported
    probe = (
        "import atexit, json, sys\n"
        "atexit.register(lambda: print('MODULES=' + json.dumps(sorted(sys.modules))))\n"
        f"sys.argv = ['loopml', *{list(args)!r}]\n"
        "from loopml.cli.main import main\n"
        "main()\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_a_plain_serve_line_serves_without_typer_click_or_pydantic(sqlite_client) -> None:
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    from tests.serving.conftest import free_port

    # a library model: a class of this module would import it, and Typer with it, to unpickle
    x = np.array([[-2.0], [-1.0], [1.0], [2.0]])
    with lm.start_run("quick") as run:
        ref = run.log_model(LogisticRegression().fit(x, [0, 0, 1, 1]), "model", example=x)
    lm.register_model(ref, "lr")
    lm.set_alias("lr", "champion", 1)
    settings = sqlite_client.settings
    env = {
        **os.environ,
        **store_env(settings),
    }
    port = free_port()
    proc = _loopml("serve", "lr@champion", "--port", str(port), "--no-scores", env=env)
    started = time.perf_counter()
    try:
        while True:
            assert proc.poll() is None, proc.communicate()
            assert time.perf_counter() - started < 120, "no answer within 120 s"
            try:
                reply = httpx.post(f"http://127.0.0.1:{port}/predict", json={"inputs": [[3.0]]})
                break
            except httpx.TransportError:
                time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    # uvicorn shuts down, then re-raises the SIGINT: 130, as under Typer (and before)
    assert proc.returncode == 130, err
    assert reply.json()["predictions"] == [1]
    assert f"serving lr version 1 (deployment lr) on http://127.0.0.1:{port}" in out
    modules = set(json.loads(out.split("MODULES=", 1)[1]))
    assert "loopml.serving.server" in modules
    for module in ("typer", "pydantic", "pydantic_core", "loopml.cli.commands"):
        assert module not in modules, module


def test_a_line_left_to_typer_gets_typers_answer() -> None:
    proc = _loopml("serve", "x", "--port", "abc")
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    assert "Invalid value" in err
    assert "'--port'" in err
    modules = set(json.loads(out.split("MODULES=", 1)[1]))
    assert "loopml.cli.commands" in modules

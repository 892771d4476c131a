"""Fixtures: the app in-process (TestClient) and ``loopml up`` as a real subprocess."""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import sys
import time
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from loopml.server.app import create_app

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from loopml import Client

_URL = re.compile(r"loopml is up at (http://\S+)")


@pytest.fixture
def api(client: Client) -> Iterator[TestClient]:
    """The platform server app over the ``client`` fixture's store, called in-process."""
    with TestClient(create_app(client), client=("127.0.0.1", 50000)) as test_client:
        yield test_client


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """``loopml up --port 0`` in a subprocess: yields its URL and its home folder."""
    with running_server(tmp_path / "up-home") as found:
        yield found


@pytest.fixture(scope="module")
def shared_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """One ``loopml up`` for a whole test module (tests keep to their own names)."""
    with running_server(tmp_path_factory.mktemp("shared") / "up-home") as found:
        yield found


@contextlib.contextmanager
def running_server(home: Path) -> Iterator[tuple[str, Path]]:
    """Start ``loopml up --port 0`` on ``home``; stop it on exit."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOOPML_")}
    env["LOOPML_HOME"] = str(home)
    command = [
        sys.executable,
        "-c",
        "from loopml.cli.main import main; main()",
        "up",
        "--port",
        "0",
    ]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        yield _wait_for_url(process), home
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def _wait_for_url(process: subprocess.Popen[str]) -> str:
    deadline = time.monotonic() + 120
    assert process.stdout is not None
    lines = []
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        match = _URL.search(line)
        if match:
            return match.group(1)
    raise AssertionError("loopml up did not print its URL:\n" + "".join(lines))

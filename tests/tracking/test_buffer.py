from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from loopml.store import Store
from loopml.tracking import Tracking, buffer


def _points(store: Store, run_id: str, key: str) -> int:
    return len(Tracking(store).get_metric_history(run_id, key, output="list"))


def test_points_are_flushed_on_the_interval(tracking: Tracking) -> None:
    run = tracking.start_run("buffer", capture=False)
    run.log_metric("loss", 0.5)
    deadline = time.monotonic() + buffer.FLUSH_INTERVAL_S * 5
    while time.monotonic() < deadline and _points(tracking.store, run.id, "loss") == 0:
        time.sleep(0.1)
    assert _points(tracking.store, run.id, "loss") == 1
    run.end()


def test_points_are_flushed_by_size(tracking: Tracking, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(buffer, "FLUSH_INTERVAL_S", 60.0)
    run = tracking.start_run("buffer", capture=False)
    for step in range(buffer.FLUSH_SIZE):
        run.log_metric("x", float(step))
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and _points(tracking.store, run.id, "x") < buffer.FLUSH_SIZE:
        time.sleep(0.05)
    assert _points(tracking.store, run.id, "x") == buffer.FLUSH_SIZE
    run.end()


def test_explicit_flush_and_run_end(tracking: Tracking) -> None:
    with tracking.start_run("buffer", capture=False) as run:
        run.log_metric("a", 1.0)
        run.flush()
        assert _points(tracking.store, run.id, "a") == 1
        run.log_metric("a", 2.0)
    assert _points(tracking.store, run.id, "a") == 2


def test_exception_in_block_flushes_before_failing(tracking: Tracking) -> None:
    started = []

    def train():
        with tracking.start_run("buffer", capture=False) as run:
            started.append(run)
            for step in range(100):
                run.log_metric("a", float(step))
            raise RuntimeError("crash")

    with pytest.raises(RuntimeError):
        train()
    assert _points(tracking.store, started[0].id, "a") == 100
    assert tracking.get_run(started[0].id).status == "FAILED"


def test_failed_write_keeps_points_and_reports(
    tracking: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tracking.start_run("buffer", capture=False)
    run.log_metric("a", 1.0)
    original = buffer.write_points
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise OSError("disk unavailable")
        return original(*args, **kwargs)

    monkeypatch.setattr(buffer, "write_points", flaky)
    with pytest.raises(OSError, match="disk unavailable"):
        run.flush()
    run.flush()
    assert _points(tracking.store, run.id, "a") == 1
    run.end()


SCRIPT = """
import loopml as lm
lm.configure(home={home!r})
run = lm.start_run("exit", capture=False)
for i in range(2500):
    run.log_metric("loss", 1.0 / (i + 1))
print(run.id, flush=True)
{ending}
"""


@pytest.mark.parametrize(
    ("ending", "status", "returncode"),
    [
        ("", "FINISHED", 0),
        ("raise ValueError('late crash')", "FAILED", 1),
        ("raise KeyboardInterrupt", "KILLED", 1),
    ],
)
def test_interpreter_exit_flushes_and_ends_open_runs(
    tmp_path: Path, ending: str, status: str, returncode: int
) -> None:
    home = tmp_path / "home"
    script = tmp_path / "script.py"
    script.write_text(textwrap.dedent(SCRIPT.format(home=str(home), ending=ending)))
    done = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, timeout=60)
    assert (done.returncode != 0) == bool(returncode), done.stderr
    run_id = done.stdout.strip()
    store = Store.open(f"sqlite:///{home / 'loopml.db'}", str(home / "artifacts"))
    info = Tracking(store).get_run(run_id)
    assert info.status == status
    assert _points(store, run_id, "loss") == 2500
    store.close()


def test_points_logged_from_threads_during_flushes_are_never_lost(tracking) -> None:
    import threading

    run = tracking.start_run("buffer", capture=False)
    stop = threading.Event()

    def log(key: str) -> None:
        for step in range(5_000):
            run.log_metric(key, float(step), step=step)

    def flush() -> None:
        while not stop.is_set():
            run.flush()

    flusher = threading.Thread(target=flush)
    flusher.start()
    writers = [threading.Thread(target=log, args=(f"k{i}",)) for i in range(4)]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    stop.set()
    flusher.join()
    run.end()
    for i in range(4):
        history = tracking.get_metric_history(run.id, f"k{i}", output="list")
        assert [p.step for p in history] == list(range(5_000))
    assert tracking.get_run(run.id).metrics == {f"k{i}": 4_999.0 for i in range(4)}

"""Runs send heartbeats; a run whose process died is marked FAILED ("heartbeat lost")."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import update

from loopml.errors import InvalidInput
from loopml.store import Store
from loopml.store.tables import tracking as t
from loopml.tracking import Tracking, heartbeat as beats
from loopml.tracking.heartbeat import HeartbeatSettings

if TYPE_CHECKING:
    from pathlib import Path

CHILD = textwrap.dedent(
    """
    import sys, time
    from loopml.store import Store
    from loopml.tracking import Tracking
    from loopml.tracking.heartbeat import HeartbeatSettings

    tracking = Tracking(
        Store.open(sys.argv[1], sys.argv[2]),
        heartbeat=HeartbeatSettings(interval_s=0.2, timeout_s=1.5),
    )
    run = tracking.start_run("heartbeat", capture=False)
    run.log_metric("loss", 0.5)
    run.flush()
    print(run.id, flush=True)
    time.sleep(120)
    """
)


def test_a_killed_process_leaves_its_run_failed_with_heartbeat_lost(
    db_url: str, tmp_path: Path
) -> None:
    store = Store.open(db_url, str(tmp_path / "blobs"))
    tracking = Tracking(store)
    with subprocess.Popen(
        [sys.executable, "-c", CHILD, db_url, str(tmp_path / "blobs")],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ},
    ) as child:
        run_id = _kill_and_wait_for_the_sweep(tracking, child)
    info = tracking.get_run(run_id)
    assert info.status == "FAILED"
    assert info.error is not None
    assert info.error.startswith(beats.LOST_ERROR)
    assert info.end_time is not None
    assert info.metrics == {"loss": 0.5}  # what was flushed before the kill is kept
    assert [r.id for r in tracking.search_runs(filter="status = 'FAILED'", output="list")] == [
        run_id
    ]
    store.close()


def _kill_and_wait_for_the_sweep(tracking: Tracking, child: subprocess.Popen[str]) -> str:
    try:
        assert child.stdout is not None
        run_id = child.stdout.readline().strip()
        assert run_id, "the child process did not start its run"
        time.sleep(2.5)  # longer than the lease: only heartbeats keep the run alive
        assert tracking.mark_lost_runs() == []
        assert tracking.get_run(run_id).status == "RUNNING"
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
        deadline = time.monotonic() + 20
        while tracking.mark_lost_runs() != [run_id]:
            assert time.monotonic() < deadline, "the dead run was never marked lost"
            time.sleep(0.2)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    return run_id


def expire(store: Store, run_id: str) -> None:
    with store.db.write() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(alive_until=1))


def test_reads_mark_lost_runs_and_leave_live_and_ended_runs_alone(
    tracking: Tracking, store: Store
) -> None:
    live = tracking.start_run("sweep", capture=False)
    with tracking.start_run("sweep", capture=False) as finished:
        pass
    lost = tracking.start_run("sweep", capture=False)
    lost.end("FINISHED")
    with store.db.write() as conn:  # a run left RUNNING by a process that died
        conn.execute(update(t.runs).where(t.runs.c.id == lost.id).values(status="RUNNING"))
    expire(store, lost.id)
    expire(store, finished.id)
    fresh = Tracking(store)  # a new process: its first read sweeps
    assert fresh.get_run(lost.id).status == "FAILED"
    assert fresh.get_run(finished.id).status == "FINISHED"
    assert fresh.get_run(live.id).status == "RUNNING"
    live.end()


def test_a_frozen_process_gets_its_run_back_on_the_next_heartbeat(
    tracking: Tracking, store: Store
) -> None:
    run = tracking.start_run("frozen", capture=False)
    expire(store, run.id)
    assert tracking.mark_lost_runs() == [run.id]
    beats.renew(store.db, [run.id], tracking.heartbeat)
    info = tracking.get_run(run.id)
    assert (info.status, info.error, info.end_time) == ("RUNNING", None, None)
    run.log_metric("x", 1.0)
    run.end()
    assert tracking.get_run(run.id).status == "FINISHED"


def test_ending_a_run_stops_its_heartbeat(tracking: Tracking) -> None:
    run = tracking.start_run("stop", capture=False)
    assert run.id in beats._HEART._beats
    run.end()
    assert run.id not in beats._HEART._beats


def test_resuming_a_lost_run_renews_its_lease(tracking: Tracking, store: Store) -> None:
    run = tracking.start_run("resume", capture=False)
    run.end()
    with store.db.write() as conn:
        conn.execute(update(t.runs).where(t.runs.c.id == run.id).values(status="RUNNING"))
    expire(store, run.id)
    assert tracking.mark_lost_runs() == [run.id]
    resumed = tracking.start_run(run_id=run.id)
    assert tracking.mark_lost_runs() == []
    assert tracking.get_run(run.id).status == "RUNNING"
    resumed.end()


@pytest.mark.parametrize(("interval", "timeout"), [(0, 1), (5, 5), (10, 1), (-1, 10)])
def test_heartbeat_settings_are_checked(interval: float, timeout: float) -> None:
    with pytest.raises(InvalidInput, match="heartbeat interval"):
        HeartbeatSettings(interval_s=interval, timeout_s=timeout)

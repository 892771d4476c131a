"""``loopml demo`` on the team stack: PostgreSQL, S3 (moto), Redis and Dask, one loopml.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(1500)  # the whole closed loop, on a shared machine


def test_loopml_demo_passes_on_the_team_stack(stack_project, s3_bucket, s3_fs):
    """The whole story, with each stage in time, on PostgreSQL + S3 + Redis + Dask.

    It used to stop at the slow canary: every canary check (and every gate) downloaded
    the whole prediction log and feedback stream again from S3, hundreds of GETs, about
    10 s a read under load, and the canary was judged as of the end of its read, so a
    canary whose requests were not yet listed when a 40 s read began was rolled back as
    "answered 0 requests". Reads now download each event file once and judge as of the
    read's start.
    """
    bucket, _ = s3_bucket
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def loopml(*args: str, timeout: int) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "loopml.cli.main", *args],
            cwd=stack_project,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    done = loopml("demo", "--json", timeout=1400)
    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert summary["error"] is None, summary
    assert summary["failed_requests"] == 0, summary
    if summary["promotions"] < 1:  # say why: the loop's own record of its decisions
        shown = loopml("loop", "show", "demo", timeout=120)
        pytest.fail(
            f"no promotion: {json.dumps(summary)}\n{shown.stdout[-6000:]}{shown.stderr[-2000:]}"
        )
    assert summary["champion_after"] != summary["champion_before"], summary
    assert (summary["rollbacks"], summary["blocked_challengers"]) == (1, 1), summary
    # everything landed on the stack: blobs and prediction logs in S3
    assert s3_fs.find(f"{bucket}/loopml/blobs/sha256")
    assert s3_fs.find(f"{bucket}/loopml/events")

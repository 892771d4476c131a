"""``loopml demo`` on the team stack: PostgreSQL, S3 (moto), Redis and Dask, one loopml.yaml."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytestmark = pytest.mark.timeout(1500)  # the whole closed loop, on a shared machine


@pytest.mark.xfail(
    reason="the demo's scheduler asks for job source 'monitors', which the registry no longer "
    "names (the client hands it over as job_sources); remove this mark once the demo passes "
    "job_sources as Client.scheduler does",
    strict=False,
)
def test_loopml_demo_passes_on_the_team_stack(stack_project, s3_bucket, s3_fs):
    bucket, _ = s3_bucket
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [sys.executable, "-m", "loopml.cli.main", "demo", "--json"],
        cwd=stack_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=1400,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    summary = json.loads(done.stdout[done.stdout.index("{") :])
    assert summary["error"] is None, summary
    assert summary["failed_requests"] == 0, summary
    assert summary["promotions"] >= 1, summary
    assert summary["champion_after"] != summary["champion_before"], summary
    # everything landed on the stack: blobs and prediction logs in S3
    assert s3_fs.find(f"{bucket}/loopml/blobs/sha256")
    assert s3_fs.find(f"{bucket}/loopml/events")

"""The same pipeline on every executor: in-process, threads, process pool, Dask."""

from __future__ import annotations

import numpy as np
import pytest

import loopml as lm
from loopml.errors import UnknownBackend
from loopml.pipelines.executors import open_executor
from loopml.pipelines.executors.local import cpu_count
from tests.pipelines import flows


@pytest.fixture(scope="module")
def dask_cluster():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        dashboard_address=":0",
    )
    yield cluster
    cluster.close()


def _check_squares(run):
    assert run.status == "SUCCEEDED"
    np.testing.assert_array_equal(run.outputs, np.array([0, 1, 4, 9, 16, 25], dtype=float))
    assert all(s.run_id for s in run.steps)


@pytest.mark.parametrize("executor", ["local", "threads:2", "process:2"])
def test_same_pipeline_on_local_executors(sqlite_client, executor):
    run = flows.squares.run(executor=executor)
    _check_squares(run)
    assert run.info.executor.split(":")[0] == executor.split(":")[0]
    cached = flows.squares.run(executor=executor)
    assert {s.status for s in cached.steps} == {"CACHED"}


def test_same_pipeline_on_a_dask_cluster(sqlite_client, dask_cluster):
    address = dask_cluster.scheduler_address.replace("tcp://", "dask://")
    run = flows.squares.run(executor=address)
    _check_squares(run)
    assert run.info.executor == address
    distributed = pytest.importorskip("distributed")
    with distributed.Client(dask_cluster, set_as_default=False) as dask_client:
        failing = flows.branches.run(flag=__file__, executor=dask_client, raise_on_error=False)
    assert failing.step("maybe_boom").status == "FAILED"
    assert failing.step("plus_one[3]").status == "SUCCEEDED"
    assert "flag file present" in failing.step("maybe_boom").error


def test_process_pool_records_metrics_logged_in_workers(sqlite_client):
    run = flows.training.run(scales=[1.0], executor="process:2")
    assert lm.get_run(run.step("fit").run_id).metrics["rows"] == 5.0
    assert sqlite_client.pipelines.logs(run.id, "fit").strip() == "fitting with scale 1.0"


def test_unknown_executors_are_rejected(sqlite_client):
    with pytest.raises(UnknownBackend, match="unknown executor 'spark'"):
        open_executor("spark", sqlite_client.store, sqlite_client.settings)
    with pytest.raises(lm.LoopmlError, match="positive number of workers"):
        open_executor("process:zero", sqlite_client.store, sqlite_client.settings)
    assert cpu_count() >= 1

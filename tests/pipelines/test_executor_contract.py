"""The public executor contract, run against every built-in executor."""

from __future__ import annotations

import pytest

from loopml.testing.executors import ExecutorContract


@pytest.fixture(scope="module")
def dask_address():
    distributed = pytest.importorskip("distributed")
    cluster = distributed.LocalCluster(
        n_workers=1,
        threads_per_worker=2,
        processes=False,
        protocol="tcp://",
        dashboard_address=":0",
    )
    yield cluster.scheduler_address.replace("tcp://", "dask://")
    cluster.close()


class TestBuiltinExecutors(ExecutorContract):
    @pytest.fixture(params=["local", "threads:2", "process:2", "dask"])
    def executor(self, request, sqlite_client):
        if request.param == "dask":
            return request.getfixturevalue("dask_address")
        return request.param

    @pytest.fixture
    def client(self, sqlite_client):
        return sqlite_client

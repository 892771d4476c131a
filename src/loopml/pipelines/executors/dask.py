"""Run steps on a Dask distributed cluster (``dask://host:8786``, a Client, or ``dask``)."""

from __future__ import annotations

from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.errors import BackendUnavailable
from loopml.pipelines.worker import StepResult, StepTask, execute_task

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.store import Store


class DaskExecutor:
    """Submit each step as one Dask task; workers open the store from the run's settings.

    Workers must reach the metadata database and the artifact store at the same URLs
    as the driver (a shared folder, S3, PostgreSQL...).

    Args:
        target: ``dask://host:port`` / ``tcp://host:port``, ``""`` for a new local
            cluster, or a ``distributed.Client``.
    """

    in_process = False

    def __init__(self, target: Any, store: Store, settings: Settings) -> None:
        try:
            import distributed
        except ModuleNotFoundError as err:
            raise _registry.missing_dependency(err) from err
        self._owned: list[Any] = []
        if isinstance(target, str):
            address = target.replace("dask://", "tcp://", 1) if target else ""
            self.client = self._connect(distributed, address)
            self.name = target or "dask"
        else:
            self.client = target
            self.name = f"dask://{str(target.scheduler.address).split('://', 1)[-1]}"
        self._futures: list[Any] = []

    def _connect(self, distributed: Any, address: str) -> Any:
        if not address:
            cluster = distributed.LocalCluster(processes=False, dashboard_address=None)
            client = distributed.Client(cluster, set_as_default=False)
            self._owned += [client, cluster]
            return client
        try:
            client = distributed.Client(address, timeout="10s", set_as_default=False)
        except OSError as err:
            raise BackendUnavailable(
                f"cannot reach the Dask scheduler at {address}: {err}; start one with "
                "`dask scheduler` or check the address"
            ) from err
        self._owned.append(client)
        return client

    def submit(self, task: StepTask) -> Future[StepResult]:
        """Submit ``task`` to the cluster."""
        result: Future[StepResult] = Future()
        remote = self.client.submit(
            execute_task, task, pure=False, key=f"loopml-{task.name}-{task.step_run_id[:8]}"
        )
        self._futures.append(remote)

        def done(finished: Any) -> None:
            try:
                result.set_result(finished.result())
            except BaseException as err:  # cancelled or lost worker
                result.set_exception(err)

        remote.add_done_callback(done)
        return result

    def cancel(self) -> None:
        """Cancel every task this executor submitted."""
        if self._futures:
            self.client.cancel(self._futures)

    def close(self) -> None:
        """Close the client and cluster if this executor created them."""
        for owned in self._owned:
            owned.close()
        self._owned.clear()

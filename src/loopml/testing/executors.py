"""The :class:`~loopml.pipelines.Executor` contract: one pipeline, unchanged, on any executor.

Example (in a test module of a plug-in)::

    import pytest
    from loopml.testing.executors import ExecutorContract

    class TestRayExecutor(ExecutorContract):
        @pytest.fixture
        def executor(self):
            return "ray://127.0.0.1:10001"     # or an Executor instance

The contract uses the ``client`` fixture of the test session (a client on an empty store,
``lm.configure``-d as the default); the pipelines it runs are defined in this module, so
worker processes import them by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import loopml as lm
from loopml.pipelines.steps import step
from loopml.tracking import active_run


@step
def contract_square(x: int) -> int:
    """Square ``x`` and log it on the step's tracking run."""
    run = active_run()
    if run is not None:
        run.log_metric("squared", float(x * x))
    return x * x


@step
def contract_sum(values: list[int]) -> int:
    """Add the values up."""
    return sum(values)


@step
def contract_fail_if(x: int, path: str) -> int:
    """Fail while ``path`` exists."""
    if Path(path).exists():
        raise RuntimeError(f"{path} exists")
    return x


@step(retries=2, retry_delay=0.01)
def contract_flaky(counter: str) -> int:
    """Fail on the first attempt, succeed on the second (counts in a file)."""
    path = Path(counter)
    seen = int(path.read_text()) if path.exists() else 0
    path.write_text(str(seen + 1))
    if seen == 0:
        raise ConnectionError("first attempt fails")
    return seen


@lm.pipeline
def contract_fan(n: int = 5) -> Any:
    """Fan out ``n`` squares and sum them."""
    return contract_sum([contract_square(i) for i in range(n)])


@lm.pipeline
def contract_branches(path: str = "/nonexistent", counter: str = "/nonexistent") -> Any:
    """A failing branch, an independent branch and a flaky step."""
    failed = contract_fail_if(1, path)
    after = contract_square(failed)
    independent = contract_square(3)
    return contract_sum([after, independent, contract_flaky(counter)])


class ExecutorContract:
    """Every executor runs the same pipelines with the same results and records."""

    def test_fan_out_and_fan_in(self, client: Any, executor: Any) -> None:
        run = contract_fan.run(n=5, executor=executor)
        assert run.status == "SUCCEEDED"
        assert run.outputs == 30
        squares = [s for s in run.steps if s.step == "contract_square"]
        assert len(squares) == 5
        assert all(s.run_id is not None for s in squares)
        assert lm.get_run(str(squares[2].run_id)).metrics["squared"] == 4.0

    def test_cached_rerun_reuses_every_step(self, client: Any, executor: Any) -> None:
        contract_fan.run(n=3, executor=executor)
        again = contract_fan.run(n=3, executor=executor)
        assert {s.status for s in again.steps} == {"CACHED"}

    def test_failures_stay_isolated_and_retries_happen(
        self, client: Any, executor: Any, tmp_path: Path
    ) -> None:
        flag = tmp_path / "flag"
        flag.write_text("x")
        counter = tmp_path / "counter"
        run = contract_branches.run(
            path=str(flag), counter=str(counter), executor=executor, raise_on_error=False
        )
        status = {s.name: s.status for s in run.steps}
        assert status["contract_fail_if"] == "FAILED"
        assert status["contract_square[0]"] == "SKIPPED"
        assert status["contract_square[1]"] == "SUCCEEDED"
        assert status["contract_flaky"] == "SUCCEEDED"
        assert run.step("contract_flaky").attempt == 2
        assert "RuntimeError" in (run.step("contract_fail_if").error or "")
        flag.unlink()
        resumed = client.pipelines.resume(run.id, executor=executor)
        assert resumed.outputs == 1 + 9 + 1

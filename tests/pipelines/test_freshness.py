"""A long-lived worker never runs stale step code under a new cache key."""

from __future__ import annotations

import importlib
import sys
import textwrap

import pytest

from loopml.pipelines.errors import StaleStepCode
from loopml.pipelines.freshness import LoadedCode, fresh_step, loaded_code

STEP = """
import loopml as lm


@lm.step
def answer(x: int) -> int:
    return x + {delta}


@lm.pipeline
def flow(x: int = 1) -> int:
    return answer(x)
"""


def _write(folder, name: str, delta: int) -> None:
    (folder / f"{name}.py").write_text(textwrap.dedent(STEP.format(delta=delta)))


@pytest.fixture
def module_dir(tmp_path, monkeypatch):
    folder = tmp_path / "project"
    folder.mkdir()
    monkeypatch.syspath_prepend(str(folder))
    yield folder
    for name in [n for n in sys.modules if n.startswith("stale_")]:
        del sys.modules[name]


def _digest_of(folder, name: str, delta: int) -> LoadedCode:
    """The digest a fresh driver process computes from the edited file."""
    _write(folder, f"{name}_driver", delta)
    driver = importlib.import_module(f"{name}_driver")
    return loaded_code(driver.answer.fn)


def test_a_stale_import_is_reloaded_before_the_step_runs(module_dir) -> None:
    _write(module_dir, "stale_a", 1)
    old = importlib.import_module("stale_a").answer  # what a long-lived worker holds
    expected = _digest_of(module_dir, "stale_a", 1000)
    _write(module_dir, "stale_a", 1000)  # the user edited the step
    assert old.fn(1) == 2
    fresh = fresh_step(old, expected)
    assert fresh.fn(1) == 1001


def test_a_worker_that_cannot_see_the_new_code_fails_the_step(module_dir) -> None:
    _write(module_dir, "stale_b", 1)
    old = importlib.import_module("stale_b").answer
    expected = _digest_of(module_dir, "stale_b", 1000)  # the file on disk is still old
    with pytest.raises(StaleStepCode, match="not the code the pipeline was planned with"):
        fresh_step(old, expected)


def test_unchanged_code_is_used_as_is(module_dir) -> None:
    _write(module_dir, "stale_c", 1)
    step = importlib.import_module("stale_c").answer
    assert fresh_step(step, loaded_code(step.fn)) is step


def test_a_long_lived_dask_worker_runs_the_edited_step(sqlite_client, module_dir) -> None:
    distributed = pytest.importorskip("distributed")
    _write(module_dir, "stale_dask", 1)
    module = importlib.import_module("stale_dask")
    with (
        distributed.LocalCluster(
            n_workers=1, threads_per_worker=1, processes=True, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster, set_as_default=False) as dask,
    ):
        first = module.flow.run(x=1, executor=dask)
        assert first.outputs == 2
        _write(module_dir, "stale_dask", 1000)  # edited; the worker still holds the old module
        module = importlib.reload(module)
        second = module.flow.run(x=1, executor=dask)
    assert second.status == "SUCCEEDED"
    assert second.outputs == 1001

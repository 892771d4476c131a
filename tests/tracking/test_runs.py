from __future__ import annotations

import math
from typing import TYPE_CHECKING

import pandas as pd
import pytest

import loopml as lm
from loopml.errors import (
    Conflict,
    ExperimentNotFound,
    InvalidInput,
    NoActiveRun,
    ParamConflict,
    RunNotActive,
    RunNotFound,
)

if TYPE_CHECKING:
    from pathlib import Path

    from loopml.tracking import Tracking


def test_run_context_ends_finished(tracking: Tracking) -> None:
    with tracking.start_run("exp", name="ok", capture=False) as run:
        assert tracking.active_run() is run
    info = tracking.get_run(run.id)
    assert info.status == "FINISHED"
    assert info.end_time is not None
    assert info.end_time >= info.start_time
    assert info.name == "ok"
    assert info.experiment == "exp"
    assert tracking.active_run() is None


def test_exception_ends_failed_with_the_error_recorded(tracking: Tracking) -> None:
    with (
        pytest.raises(ValueError, match="bad data"),
        tracking.start_run("exp", capture=False) as run,
    ):
        raise ValueError("bad data")
    info = tracking.get_run(run.id)
    assert info.status == "FAILED"
    assert info.error is not None
    assert "ValueError: bad data" in info.error


def test_keyboard_interrupt_ends_killed(tracking: Tracking) -> None:
    with pytest.raises(KeyboardInterrupt), tracking.start_run("exp", capture=False) as run:
        raise KeyboardInterrupt
    assert tracking.get_run(run.id).status == "KILLED"


def test_nested_runs_record_their_parent(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as parent:
        with tracking.start_run(name="child", capture=False) as child:
            assert tracking.active_run() is child
        assert tracking.active_run() is parent
        with tracking.start_run(name="top", nested=False, capture=False) as top:
            pass
    assert tracking.get_run(child.id).parent_id == parent.id
    assert tracking.get_run(child.id).experiment == "exp"
    assert tracking.get_run(top.id).parent_id is None


def test_resume_by_id_continues_the_series(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_param("lr", 0.1)
        run.log_metric("loss", 1.0)
        run.log_metric("loss", 0.5)
    with tracking.start_run(run_id=run.id) as resumed:
        assert resumed.id == run.id
        resumed.log_metric("loss", 0.25)
        resumed.log_param("lr", 0.1)
        with pytest.raises(ParamConflict):
            resumed.log_param("lr", 0.2)
    history = tracking.get_metric_history(run.id, "loss", output="list")
    assert [(p.step, p.value) for p in history] == [(0, 1.0), (1, 0.5), (2, 0.25)]
    assert tracking.get_run(run.id).status == "FINISHED"


def test_resume_unknown_run_is_not_found(tracking: Tracking) -> None:
    with pytest.raises(RunNotFound, match="no run"):
        tracking.start_run(run_id="f" * 32)


def test_params_are_fixed_once_logged(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_params({"lr": 0.1, "model": "gbm"})
        run.log_param("lr", 0.1)
        with pytest.raises(ParamConflict, match="cannot change"):
            run.log_params({"depth": 3, "lr": 0.5})
        # nothing of the rejected call was written
        assert "depth" not in tracking.get_run(run.id).params
    assert tracking.get_run(run.id).params == {"lr": "0.1", "model": "gbm"}


def test_param_conflict_is_detected_against_the_database(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_param("lr", 0.1)
    other_handle = tracking.start_run(run_id=run.id)
    other_handle._params.clear()  # a second process has not seen the first value
    with pytest.raises(ParamConflict):
        other_handle.log_param("lr", 0.3)
    other_handle.end()


def test_metrics_single_dict_and_batch(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_metric("loss", 0.9, step=0)
        run.log_metrics({"loss": 0.5, "acc": 0.7}, step=1)
        run.log_batch(
            [("loss", 0.3, 2), ("acc", 0.8, 2, 1_700_000_000_000)],
            params={"n": 2},
            tags={"team": "ds"},
        )
    info = tracking.get_run(run.id)
    assert info.metrics == {"loss": 0.3, "acc": 0.8}
    assert info.params == {"n": "2"}
    assert info.tags == {"team": "ds"}
    acc = tracking.get_metric_history(run.id, "acc", output="list")
    assert [(p.step, p.value, p.timestamp) for p in acc][-1] == (2, 0.8, 1_700_000_000_000)


def test_latest_metric_is_the_highest_step_not_the_last_logged(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_metric("acc", 0.9, step=10)
        run.flush()
        run.log_metric("acc", 0.1, step=3)
    assert tracking.get_run(run.id).metrics["acc"] == 0.9


def test_history_is_ordered_by_step_with_timestamps(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        for step in (5, 1, 3):
            run.log_metric("x", float(step), step=step, timestamp=1000 + step)
    frame = tracking.get_metric_history(run.id, "x")
    assert isinstance(frame, pd.DataFrame)
    assert frame["step"].tolist() == [1, 3, 5]
    assert frame["value"].tolist() == [1.0, 3.0, 5.0]
    assert str(frame["timestamp"].dt.tz) == "UTC"


def test_nan_and_infinity_are_kept(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_metric("loss", float("nan"))
        run.log_metric("loss", float("inf"))
        run.log_metric("gain", float("-inf"))
    values = [p.value for p in tracking.get_metric_history(run.id, "loss", output="list")]
    assert math.isnan(values[0])
    assert values[1] == math.inf
    assert tracking.get_run(run.id).metrics["gain"] == -math.inf


def test_numpy_scalars_are_metrics(tracking: Tracking) -> None:
    np = pytest.importorskip("numpy")
    with tracking.start_run("exp", capture=False) as run:
        run.log_metric("acc", np.float32(0.5), step=np.int64(4))
    assert tracking.get_metric_history(run.id, "acc", output="list")[0].step == 4


@pytest.mark.parametrize("bad", ["0.9", None, [1], {"a": 1}])
def test_non_numeric_metric_is_rejected(tracking: Tracking, bad: object) -> None:
    with tracking.start_run("exp", capture=False) as run:
        with pytest.raises(InvalidInput, match="real number"):
            run.log_metric("acc", bad)  # type: ignore[arg-type]
        with pytest.raises(InvalidInput):
            run.log_metrics({"ok": 1.0, "acc": bad})  # type: ignore[dict-item]
    assert tracking.get_run(run.id).metrics == {}


@pytest.mark.parametrize("key", ["", "a" * 251, "bad\nkey", " padded", "semi;colon"])
def test_bad_keys_are_rejected(tracking: Tracking, key: str) -> None:
    with tracking.start_run("exp", capture=False) as run:
        with pytest.raises(InvalidInput):
            run.log_metric(key, 1.0)
        with pytest.raises(InvalidInput):
            run.log_param(key, 1)
        with pytest.raises(InvalidInput):
            run.set_tag(key, 1)


def test_oversized_params_and_tags_are_rejected(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        with pytest.raises(InvalidInput, match="6000"):
            run.log_param("long", "x" * 6001)
        run.log_param("edge", "x" * 6000)
        with pytest.raises(InvalidInput, match="8000"):
            run.set_tag("long", "x" * 8001)
    assert "long" not in tracking.get_run(run.id).params


def test_logging_to_a_finished_run_is_an_error(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        pass
    for call in (
        lambda: run.log_metric("a", 1.0),
        lambda: run.log_param("a", 1),
        lambda: run.set_tag("a", 1),
        lambda: run.log_dict({"a": 1}, "a.json"),
    ):
        with pytest.raises(RunNotActive, match="resume it"):
            call()


def test_tags_can_change(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.set_tag("stage", "dev")
        run.set_tags({"stage": "prod", "owner": "ana"})
    assert tracking.get_run(run.id).tags == {"stage": "prod", "owner": "ana"}


def test_artifacts_from_files_folders_and_objects(tracking: Tracking, tmp_path: Path) -> None:
    plt = pytest.importorskip("matplotlib.pyplot")
    (tmp_path / "report.txt").write_text("all good")
    folder = tmp_path / "model"
    (folder / "sub").mkdir(parents=True)
    (folder / "weights.bin").write_bytes(b"\x00\x01")
    (folder / "sub" / "config.json").write_text('{"k": 1}')
    figure, axis = plt.subplots()
    axis.plot([1, 2, 3])
    frame = pd.DataFrame({"a": [1, 2], "b": ["x", "y"]})
    with tracking.start_run("exp", capture=False) as run:
        run.log_artifact(tmp_path / "report.txt")
        run.log_artifacts(folder, "model")
        run.log_dict({"threshold": 0.5}, "config/threshold.json")
        run.log_table(frame, "data/sample.parquet")
        run.log_figure(figure, "plots/curve.png")
        run.log_text("hello", "notes.txt")
    plt.close(figure)
    paths = [a.path for a in tracking.list_artifacts(run.id) if not a.path.startswith("_loopml")]
    assert paths == [
        "config/threshold.json",
        "data/sample.parquet",
        "model/sub/config.json",
        "model/weights.bin",
        "notes.txt",
        "plots/curve.png",
        "report.txt",
    ]
    assert tracking.load_artifact(run.id, "config/threshold.json") == {"threshold": 0.5}
    pd.testing.assert_frame_equal(tracking.load_artifact(run.id, "data/sample.parquet"), frame)
    png = tracking.load_artifact(run.id, "plots/curve.png")
    assert isinstance(png, bytes)
    assert png.startswith(b"\x89PNG")
    assert tracking.load_artifact(run.id, "notes.txt") == "hello"
    out = tracking.download_artifacts(run.id, "model", tmp_path / "out")
    assert (out / "weights.bin").read_bytes() == b"\x00\x01"
    assert (out / "sub" / "config.json").read_text() == '{"k": 1}'


def test_artifacts_are_immutable_per_path(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_dict({"v": 1}, "x.json")
        run.log_dict({"v": 1}, "x.json")  # same content: fine
        with pytest.raises(Conflict, match="immutable"):
            run.log_dict({"v": 2}, "x.json")
    assert tracking.load_artifact(run.id, "x.json") == {"v": 1}


def test_unsupported_artifact_object_is_rejected(tracking: Tracking) -> None:
    with (
        tracking.start_run("exp", capture=False) as run,
        pytest.raises(InvalidInput, match="cannot store"),
    ):
        run.log_object(object(), "thing")


def test_bad_artifact_paths_are_rejected(tracking: Tracking, tmp_path: Path) -> None:
    with tracking.start_run("exp", capture=False) as run:
        with pytest.raises(InvalidInput):
            run.log_text("x", "../escape.txt")
        with pytest.raises(InvalidInput, match="does not exist"):
            run.log_artifact(tmp_path / "missing.txt")


def test_unknown_experiment_lists_the_known_ones(tracking: Tracking) -> None:
    tracking.set_experiment("alpha")
    with pytest.raises(ExperimentNotFound, match="alpha"):
        tracking.get_experiment("beta")


def test_experiment_lifecycle(tracking: Tracking) -> None:
    created = tracking.create_experiment("e1", "first")
    with pytest.raises(lm.LoopmlError, match="already exists"):
        tracking.create_experiment("e1")
    renamed = tracking.rename_experiment("e1", "e2")
    assert renamed.id == created.id
    assert renamed.description == "first"
    tracking.delete_experiment("e2")
    assert tracking.list_experiments() == []
    assert [e.name for e in tracking.list_experiments(include_deleted=True)] == ["e2"]


def test_delete_restore_and_purge(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as run:
        run.log_metric("a", 1.0)
    tracking.delete_run(run.id)
    assert tracking.search_runs("exp", output="list") == []
    tracking.restore_run(run.id)
    assert [r.id for r in tracking.search_runs("exp", output="list")] == [run.id]
    tracking.delete_run(run.id, purge=True)
    with pytest.raises(RunNotFound):
        tracking.get_run(run.id)


def test_module_level_api_requires_an_active_run(client: lm.Client) -> None:
    with pytest.raises(NoActiveRun, match="start_run"):
        lm.log_metric("a", 1.0)
    with lm.start_run("mod") as run:
        lm.log_param("p", 1)
        lm.log_metric("m", 2.0)
        lm.set_tag("t", "v")
        lm.log_dict({"a": 1}, "a.json")
    info = lm.get_run(run.id)
    assert (info.params, info.metrics, info.tags) == ({"p": "1"}, {"m": 2.0}, {"t": "v"})


def test_seed_everything_is_recorded_on_runs(client: lm.Client) -> None:
    import random

    import numpy as np

    with lm.start_run("seeded") as open_run:
        lm.seed_everything(7)
        first = (random.random(), np.random.rand())
    lm.seed_everything(7)
    assert (random.random(), np.random.rand()) == first
    with lm.start_run("seeded") as later:
        pass
    assert lm.get_run(open_run.id).seed == 7
    assert lm.get_run(later.id).seed == 7
    with pytest.raises(InvalidInput):
        lm.seed_everything(-1)


def _commits(tracking: Tracking) -> list[int]:
    """A list that grows by one on every transaction committed by ``tracking``'s store."""
    from sqlalchemy import event

    committed: list[int] = []
    event.listen(tracking.store.db.engine, "commit", lambda conn: committed.append(1))
    return committed


def test_a_new_run_its_params_and_tags_are_one_transaction(tracking: Tracking) -> None:
    with tracking.start_run("exp", capture=False) as parent:
        committed = _commits(tracking)
        run = tracking.start_run(
            "exp", params={"lr": 0.1, "depth": 3}, tags={"team": "a"}, capture=False
        )
        assert len(committed) == 1
        assert run.params == {"lr": "0.1", "depth": "3"}
        with pytest.raises(ParamConflict):
            run.log_param("lr", 0.2)
        run.end()
    info = tracking.get_run(run.id)
    assert info.parent_id == parent.id
    assert info.params == {"lr": "0.1", "depth": "3"}
    assert info.tags["team"] == "a"


def test_a_bad_param_or_parent_leaves_no_run(tracking: Tracking) -> None:
    with pytest.raises(InvalidInput):
        tracking.start_run("exp", params={"lr": "x" * 100_000}, capture=False)
    with pytest.raises(RunNotFound):
        tracking.start_run("exp", parent_id="0" * 32, capture=False)
    assert tracking.count_runs() == 0
    assert tracking.active_run() is None


def test_on_create_writes_in_the_runs_transaction(tracking: Tracking) -> None:
    from sqlalchemy import update

    from loopml.store.tables import tracking as t

    def rename(conn, run_id: str) -> None:
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(name="renamed"))

    tracking.start_run("exp", capture=False).end()  # creates the experiment
    committed = _commits(tracking)
    with tracking.start_run("exp", capture=False, on_create=rename) as run:
        assert len(committed) == 1
    assert tracking.get_run(run.id).name == "renamed"

    def fail(conn, run_id: str) -> None:
        raise RuntimeError("caller's write failed")

    with pytest.raises(RuntimeError, match="caller's write failed"):
        tracking.start_run("exp", capture=False, on_create=fail)
    assert tracking.count_runs() == 2  # the third run was rolled back with the caller's write
    with pytest.raises(InvalidInput, match="new runs"):
        tracking.start_run(run_id=run.id, on_create=rename)


def test_end_sets_tags_with_the_buffered_metrics_and_status(tracking: Tracking) -> None:
    run = tracking.start_run("exp", capture=False)
    run.log_metric("loss", 0.5)
    committed = _commits(tracking)
    run.end("FAILED", error="boom", tags={"state": "FAIL"})
    assert len(committed) == 1
    info = tracking.get_run(run.id)
    assert (info.status, info.error, info.tags["state"]) == ("FAILED", "boom", "FAIL")
    assert info.metrics["loss"] == 0.5

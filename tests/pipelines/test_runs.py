"""Running pipelines: records, caching, failures, retries, timeouts, resume, cancel."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

import loopml as lm
from loopml.errors import ArtifactNotFound
from loopml.pipelines.errors import PipelineRunFailed, PipelineRunNotResumable
from loopml.store.tables import core
from tests.pipelines import flows


def _edges(client, src_type, src_id):
    with client.store.db.read() as conn:
        rows = conn.execute(
            select(core.lineage_edges).where(
                core.lineage_edges.c.src_type == src_type, core.lineage_edges.c.src_id == src_id
            )
        ).all()
    return {(r.relation, r.dst_type, r.dst_id) for r in rows}


def test_a_run_records_steps_artifacts_tracking_runs_and_lineage(client):
    run = flows.training.run(n=10, scales=[1.0, 2.0])
    assert run.status == "SUCCEEDED"
    assert run.outputs in (0, 1)
    info = lm.get_pipeline_run(run.id[:8])
    assert [s.name for s in info.steps] == [
        "make_frame",
        "split",
        "fit[0]",
        "score[0]",
        "fit[1]",
        "score[1]",
        "best",
    ]
    assert info.params == {"n": 10, "scales": [1.0, 2.0]}
    assert info.graph["nodes"][1]["outputs"] == ["train", "test"]
    split = info.step("split")
    assert split.status == "SUCCEEDED"
    assert split.attempt == 1
    assert [o["name"] for o in split.outputs] == ["train", "test"]
    assert split.outputs[0]["materializer"] == "parquet"
    assert split.inputs["frame"] == info.step("make_frame").outputs[0]["digest"]
    assert split.start_time <= split.end_time
    assert len(split.cache_key) == 64

    fit = info.step("fit[1]")
    tracked = lm.get_run(fit.run_id)
    assert tracked.metrics["rows"] == 5.0
    assert tracked.params["scale"] == "2.0"
    runs = lm.search_runs("training", output="list")
    steps = {r.step_name for r in runs if r.pipeline_run_id == run.id}
    assert "fit[1]" in steps
    assert None in steps
    assert lm.get_run(fit.run_id).parent_id == info.run_id
    assert client.pipelines.logs(run.id, "fit[1]").strip() == "fitting with scale 2.0"

    edges = _edges(client, "step_run", split.id)
    assert ("used", "artifact", split.inputs["frame"]) in edges
    assert ("produced", "artifact", split.outputs[1]["digest"]) in edges
    assert ("part_of", "pipeline_run", run.id) in edges
    assert ("part_of", "step_run", split.id) in _edges(client, "run", split.run_id)
    assert client.store.blob_info(split.outputs[0]["digest"]) is not None
    assert run.load("split", "test").shape == (5, 2)


def test_second_run_is_cached_and_cache_can_be_disabled(client):
    first = flows.training.run()
    second = flows.training.run()
    assert {s.status for s in second.steps} == {"CACHED"}
    assert second.outputs == first.outputs
    for step in second.steps:
        assert step.cached_from == first.step(step.name).id
        assert step.run_id is None
    explained = client.pipelines.explain(second.id, "fit[2]")
    assert explained.status == "CACHED"
    assert explained.reasons == ()
    assert "same key" in str(explained)

    uncached = flows.training.run(cache=False)
    assert {s.status for s in uncached.steps} == {"SUCCEEDED"}
    assert "cache disabled" in (uncached.step("best").cache_note or "")

    changed = flows.training.run(scales=[1.0, 2.0, 5.0])
    assert changed.step("fit[1]").status == "CACHED"
    assert changed.step("fit[2]").status == "SUCCEEDED"
    why = client.pipelines.explain(changed.id, "fit[2]")
    assert "param scale changed (3.0 -> 5.0)" in why.reasons


def test_failure_stops_dependents_but_independent_branches_finish(client, tmp_path):
    flag = tmp_path / "flag"
    flag.write_text("x")
    with pytest.raises(PipelineRunFailed, match="step 'maybe_boom' failed") as caught:
        flows.branches.run(flag=str(flag))
    info = caught.value.run
    statuses = {s.name: s.status for s in info.steps}
    assert statuses == {
        "plus_one[0]": "SUCCEEDED",
        "maybe_boom": "FAILED",
        "plus_one[1]": "SKIPPED",
        "plus_one[2]": "SUCCEEDED",
        "plus_one[3]": "SUCCEEDED",
        "total": "SKIPPED",
    }
    failed = info.step("maybe_boom")
    assert "RuntimeError: flag file present" in failed.error
    assert "Traceback" in failed.error
    assert lm.get_run(failed.run_id).status == "FAILED"
    assert info.status == "FAILED"
    assert info.end_time is not None
    assert "maybe_boom" in (info.error or "")
    assert lm.get_run(info.run_id).status == "FAILED"

    # resume after fixing the cause: only the failed step and its dependents run
    flag.unlink()
    resumed = lm.resume_pipeline_run(info.id)
    assert resumed.status == "SUCCEEDED"
    assert resumed.outputs == 16
    assert resumed.info.resumed_from == info.id
    assert resumed.info.trigger == "resume"
    again = {s.name: s.status for s in resumed.steps}
    assert again["plus_one[0]"] == "CACHED"
    assert again["plus_one[2]"] == "CACHED"
    assert again["maybe_boom"] == "SUCCEEDED"
    assert again["total"] == "SUCCEEDED"
    assert resumed.step("plus_one[0]").cached_from == info.step("plus_one[0]").id
    with pytest.raises(PipelineRunNotResumable, match="only FAILED or CANCELLED"):
        lm.resume_pipeline_run(resumed.id)


def test_resume_reuses_succeeded_steps_even_without_cache(client, tmp_path):
    flag = tmp_path / "flag"
    flag.write_text("x")
    failed = flows.branches.run(flag=str(flag), cache=False, raise_on_error=False)
    assert failed.status == "FAILED"
    flag.unlink()
    resumed = client.pipelines.resume(failed.id)
    assert resumed.step("plus_one[0]").status == "CACHED"
    assert "resumed pipeline run" in resumed.step("plus_one[0]").cache_note


def test_retries_with_backoff_are_recorded(client, tmp_path):
    counter = tmp_path / "counter"
    started = time.monotonic()
    run = flows.retrying.run(counter=str(counter))
    assert run.outputs == 2
    step = run.step("flaky")
    assert step.attempt == 3
    assert [a["error"] is None for a in step.attempts] == [False, False, True]
    assert "ConnectionError: attempt 1 failed" in step.attempts[0]["error"]
    assert time.monotonic() - started >= 0.03  # 0.01 s then 0.02 s of backoff


def test_a_step_past_its_timeout_fails(client):
    started = time.monotonic()
    run = flows.timing_out.run(seconds=3.0, raise_on_error=False)
    assert time.monotonic() - started < 2.5
    assert run.status == "FAILED"
    assert "StepTimeout" in run.step("sleepy").error
    assert "timeout of 0.3 s" in run.step("sleepy").error


def test_a_run_can_be_cancelled_from_elsewhere(client, tmp_path):
    marker = tmp_path / "never"
    results = {}

    def run():
        results["run"] = flows.slow.run(path=str(marker), seconds=3.0, raise_on_error=False)

    thread = threading.Thread(target=run)
    thread.start()
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        running = lm.list_pipeline_runs("slow", status="RUNNING")
        if running:
            lm.cancel_pipeline_run(running[0].id)
            break
        time.sleep(0.05)
    thread.join(15)
    info = results["run"].info
    assert info.status == "CANCELLED"
    assert {s.status for s in info.steps} <= {"CANCELLED", "SUCCEEDED"}
    assert info.step("plus_one").status == "CANCELLED"
    assert client.pipelines.resume(info.id).status == "SUCCEEDED"


def test_an_unstorable_output_fails_clearly_with_complete_metadata(client):
    run = flows.unstorable.run(raise_on_error=False)
    step = run.step("opaque")
    assert step.status == "FAILED"
    assert step.attempt == 1
    assert "NoMaterializer" in step.error
    assert "tests.pipelines.flows.Opaque" in step.error
    assert "lm.register_materializer" in step.error
    assert run.info.end_time is not None
    assert lm.get_run(step.run_id).status == "FAILED"


def test_a_deleted_input_artifact_is_a_clear_error(client):
    first = flows.training.run(scales=[1.0])
    digest = first.step("split").outputs[0]["digest"]
    client.store.blobs.delete(digest)
    # the cached result is gone: split runs again and writes it anew
    healed = flows.training.run(scales=[1.0])
    assert healed.step("split").status == "SUCCEEDED"
    assert "missing from the artifact store" in healed.step("split").cache_note
    assert client.store.blobs.exists(digest)

    # an input that vanishes between steps fails the consumer with a clear message
    client.store.blobs.delete(digest)
    with pytest.raises(ArtifactNotFound, match="missing from the artifact store"):
        client.pipelines.load_output(first.id, "split", "train")


def test_parameters_of_the_wrong_type_fail_before_anything_is_written(client):
    with pytest.raises(lm.LoopmlError, match="parameter 'n' must be int"):
        flows.training.run(n="many")
    assert lm.list_pipeline_runs() == []


def test_progress_events(client):
    events = []
    flows.squares.run(n=3, on_event=events.append)
    kinds = [e.kind for e in events]
    assert kinds[0] == "started"
    assert kinds[-1] == "finished"
    assert events[-1].done == events[-1].total == 4
    assert {e.status for e in events if e.kind == "step"} >= {"RUNNING", "SUCCEEDED"}


def test_models_travel_between_steps_as_model_packages(client):
    run = flows.modelling.run()
    assert run.outputs == pytest.approx(30.0)
    output = run.step("fit_model").outputs[0]
    assert output["materializer"] == "model"
    assert output["flavor"] == "sklearn"
    assert output["uri"] == f"runs:/{run.step('fit_model').run_id}/outputs/output"
    loaded = lm.load_model(output["uri"])
    assert float(loaded.predict([[2.0]])[0]) == pytest.approx(6.0)
    cached = flows.modelling.run(n=5)
    assert cached.step("fit_model").status == "CACHED"
    assert flows.modelling.run(n=5, cache=False).outputs == pytest.approx(30.0)


def test_a_run_whose_driver_died_can_be_force_cancelled_and_resumed(client):
    from sqlalchemy import update

    from loopml.store.tables import pipelines as t

    run = flows.squares.run(n=2)
    with client.store.db.write() as conn:  # simulate a driver killed mid-run
        conn.execute(
            update(t.pipeline_runs).where(t.pipeline_runs.c.id == run.id).values(status="RUNNING")
        )
        conn.execute(
            update(t.step_runs)
            .where(t.step_runs.c.pipeline_run_id == run.id, t.step_runs.c.name == "array_of")
            .values(status="RUNNING")
        )
    with pytest.raises(PipelineRunNotResumable):
        lm.resume_pipeline_run(run.id)
    forced = lm.cancel_pipeline_run(run.id, force=True)
    assert forced.status == "CANCELLED"
    assert forced.step("array_of").status == "CANCELLED"
    assert forced.step("square[0]").status == "SUCCEEDED"
    resumed = lm.resume_pipeline_run(run.id)
    assert resumed.step("square[1]").status == "CACHED"
    assert resumed.step("array_of").status in {"SUCCEEDED", "CACHED"}

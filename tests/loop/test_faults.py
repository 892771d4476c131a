"""Faults: a failing training pipeline, too few labels, a bad challenger, a dead scheduler."""

from __future__ import annotations

from sqlalchemy import update

import loopml as lm
from loopml.loop import records as rec
from loopml.loop.demo import scenario
from loopml.store.tables import loop as t
from tests.loop.conftest import MODEL, drifted_traffic, make_loop, register


def _alerted(deployed) -> None:
    drifted_traffic(deployed)
    deployed["client"].monitors.run(MODEL)
    assert lm.list_alerts(MODEL)


def test_a_failing_pipeline_leaves_the_champion_serving_and_the_alert_open(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(pipeline="tests.loop.pipelines:broken"))
    _alerted(deployed)

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.status == "FAILED"
    assert "broken_training" in (run.error or "") or "FAILED" in (run.error or "")
    assert run.pipeline_run_id is not None
    assert client.models.resolve_alias(MODEL, "champion") == 1
    assert [a.status for a in lm.list_alerts(MODEL)] == ["open"]
    assert rec.active_run(client.store.db, "churn-loop") is None  # the loop is free again


def test_too_few_labels_block_with_the_count(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(training=lm.TrainingData(min_labels=5000, window="1h")))
    _alerted(deployed)

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.status == "BLOCKED"
    assert "600 labels, need 5000" in (run.error or "")
    assert client.models.resolve_alias(MODEL, "champion") == 1


def test_a_bad_challenger_is_blocked_by_the_gates(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(pipeline="tests.loop.pipelines:dummy"))
    _alerted(deployed)

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.status == "BLOCKED"
    [verdict] = lm.gate_verdicts(MODEL, run.challenger_version)
    assert not verdict.passed
    assert [r.gate for r in verdict.failed] == ["beats_champion"]
    assert lm.get_model_version(MODEL, run.challenger_version).tags["loopml.gates"] == "failed"
    assert client.models.resolve_alias(MODEL, "champion") == 1


def test_a_version_registered_by_hand_is_judged_without_training(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(triggers=[lm.Trigger.registry()], training=False))
    drifted_traffic(deployed)
    after = scenario.rows(2000, drifted=True, seed=3)
    version = register(client, scenario.fit(after), after[list(scenario.FEATURES)])

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.cause["trigger"] == "registry"
    assert run.challenger_version == version
    assert run.pipeline_run_id is None
    assert run.status == "PROMOTED", run.error


def _stale(client, run_id: str, **values) -> None:
    with client.store.db.write() as conn:
        conn.execute(
            update(t.loop_runs).where(t.loop_runs.c.id == run_id)
            .values(heartbeat_at=1, holder="dead-host:1:abc", **values)
        )  # fmt: skip


def test_a_dead_schedulers_run_in_gating_is_resumed(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(training=False, stale_after="1s"))
    drifted_traffic(deployed)
    after = scenario.rows(2000, drifted=True, seed=3)
    version = register(client, scenario.fit(after), after[list(scenario.FEATURES)])
    run = rec.start_run(client.store.db, "churn-loop", {"trigger": "manual"}, holder="dead",
                        status="QUEUED")  # fmt: skip
    _stale(client, run.id, status="GATING", champion_version=1, challenger_version=version)

    scheduler = client.scheduler(sources=["loops"], run_queued=False)
    [future] = scheduler.tick(wait=True)
    scheduler.close()

    assert future.result().status == "SUCCEEDED"
    done = client.loops.get_run(run.id)
    assert done.status == "PROMOTED", done.error
    assert client.models.resolve_alias(MODEL, "champion") == version
    kinds = [e.kind for e in client.loops.events("churn-loop", run_id=run.id)]
    assert "resumed_run" in kinds


def test_a_dead_schedulers_run_in_training_is_marked_failed(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(stale_after="1s"))
    run = rec.start_run(client.store.db, "churn-loop", {"trigger": "manual"}, holder="dead",
                        status="QUEUED")  # fmt: skip
    _stale(client, run.id, status="TRAINING", champion_version=1)

    scheduler = client.scheduler(sources=["loops"], run_queued=False)
    scheduler.tick(wait=True)
    scheduler.close()

    done = client.loops.get_run(run.id)
    assert done.status == "FAILED"
    assert "stopped while training" in (done.error or "")
    assert client.models.resolve_alias(MODEL, "champion") == 1

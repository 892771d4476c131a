"""Triggers, cooldown, one run in flight, dedup, and loops inside the scheduler."""

from __future__ import annotations

import datetime as dt
import threading

import pytest

import loopml as lm
from loopml.errors import InvalidInput
from loopml.loop import LoopBusy, LoopNotFound, records as rec
from loopml.loop.demo import scenario
from tests.loop.conftest import MODEL, drifted_traffic, make_loop


def _kinds(client) -> list[str]:
    return [e.kind for e in client.loops.events("churn-loop")]


def test_two_schedulers_never_fire_a_loop_twice(deployed_on_each_db) -> None:
    deployed = deployed_on_each_db
    client = deployed["client"]
    lm.apply_loop(make_loop())
    drifted_traffic(deployed)
    client.monitors.run(MODEL)
    schedulers = [
        client.scheduler(sources=["loops"], run_queued=False, holder=name, lease_ttl=60)
        for name in ("scheduler-a", "scheduler-b")
    ]
    barrier = threading.Barrier(2)
    started: list[int] = []

    def tick(scheduler) -> None:
        barrier.wait()
        started.append(len(scheduler.tick(wait=True)))

    threads = [threading.Thread(target=tick, args=(s,)) for s in schedulers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for scheduler in schedulers:  # a second pass of both: the firing is consumed
        scheduler.tick(wait=True)
    for scheduler in schedulers:
        scheduler.close()

    assert sorted(started) == [0, 1]
    runs = client.loops.runs("churn-loop")
    assert len(runs) == 1
    assert runs[0].status == "PROMOTED", runs[0].error
    assert _kinds(client).count("fired") == 1


def test_a_second_firing_during_cooldown_is_recorded_as_skipped(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(cooldown="1h", triggers=[lm.Trigger.registry()], training=False))
    after = scenario.rows(1000, drifted=True, seed=3)
    drifted_traffic(deployed)
    from tests.loop.conftest import register

    register(client, scenario.fit(after), after[list(scenario.FEATURES)])
    first = client.loops.fire("churn-loop")
    register(client, scenario.fit(after), after[list(scenario.FEATURES)])
    second = client.loops.fire("churn-loop")

    assert first is not None
    assert second is None
    skipped = [e for e in client.loops.events("churn-loop") if e.kind == "skipped"]
    assert len(skipped) == 1
    assert "cooldown" in skipped[0].message
    assert skipped[0].detail["model_version"] == 3


def test_firings_together_start_one_run_and_the_rest_are_deduplicated(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(triggers=[lm.Trigger.registry()], training=False))
    drifted_traffic(deployed)
    after = scenario.rows(1000, drifted=True, seed=3)
    from tests.loop.conftest import register

    register(client, scenario.fit(after), after[list(scenario.FEATURES)])
    register(client, scenario.fit(after), after[list(scenario.FEATURES)])

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.challenger_version == 2
    assert _kinds(client).count("deduplicated") == 1


def test_one_run_in_flight_per_loop(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop())
    queued = lm.trigger_loop("churn-loop", "by hand", wait=False)
    assert queued.status == "QUEUED"
    with pytest.raises(LoopBusy, match="in flight"):
        lm.trigger_loop("churn-loop", wait=False)
    assert rec.active_run(client.store.db, "churn-loop").id == queued.id


def test_a_queued_http_trigger_runs_in_the_scheduler(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop())
    drifted_traffic(deployed)
    body = client.loops.http_trigger("churn-loop", {"reason": "new labels arrived"})
    assert body["status"] == "QUEUED"
    assert body["cause"]["trigger"] == "http"

    scheduler = client.scheduler(sources=["loops"], run_queued=False)
    scheduler.tick(wait=True)
    scheduler.close()

    assert client.loops.get_run(body["id"]).status == "PROMOTED"


def test_http_trigger_errors_carry_their_status(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop())
    with pytest.raises(LoopNotFound) as missing:
        client.loops.http_trigger("nope")
    assert missing.value.http_status == 404
    with pytest.raises(InvalidInput) as bad:
        client.loops.http_trigger("churn-loop", {"reason": 3})
    assert bad.value.http_status == 422
    client.loops.http_trigger("churn-loop")
    with pytest.raises(LoopBusy) as busy:
        client.loops.http_trigger("churn-loop")
    assert busy.value.http_status == 409


def test_a_paused_loop_records_firings_as_skipped(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop())
    lm.pause_loop("churn-loop")
    drifted_traffic(deployed)
    client.monitors.run(MODEL)
    assert client.loops.fire("churn-loop") is None
    assert "paused" in client.loops.events("churn-loop")[-1].message
    lm.resume_loop("churn-loop")
    assert not lm.get_loop("churn-loop").paused


def test_performance_below_a_floor_on_the_last_labelled_predictions_fires(deployed) -> None:
    client = deployed["client"]
    lm.apply_loop(make_loop(triggers=[lm.Trigger.performance("accuracy", 0.8, last_n=300)]))
    assert client.loops.pending("churn-loop") == []
    drifted_traffic(deployed)

    [firing] = client.loops.pending("churn-loop")

    assert firing.trigger == "performance"
    assert firing.detail["value"] < 0.8
    run = client.loops.fire("churn-loop")
    assert run is not None
    assert run.status == "PROMOTED", run.error


def test_schedule_and_dataset_triggers_fire_once_per_tick_and_version(deployed) -> None:
    client = deployed["client"]
    loop = make_loop(triggers=[lm.Trigger.schedule("* * * * *"), lm.Trigger.new_dataset("raw")])
    lm.apply_loop(loop)
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)
    assert [f.trigger for f in client.loops.pending("churn-loop", later)] == ["schedule"]
    client.datasets.log_dataset(scenario.rows(10), "raw")
    assert {f.trigger for f in client.loops.pending("churn-loop", later)} == {"schedule", "dataset"}


def test_bad_loop_definitions_say_what_is_wrong() -> None:
    with pytest.raises(InvalidInput, match="loop name"):
        lm.Loop("bad name", model="m")
    with pytest.raises(InvalidInput, match="no monitor"):
        lm.Loop("x", model="m", triggers=["alert"])
    with pytest.raises(InvalidInput, match="unknown gate type"):
        lm.Loop("x", model="m", gates=[{"type": "vibes"}])
    with pytest.raises(InvalidInput, match="cron"):
        lm.Trigger.schedule("every day")
    with pytest.raises(InvalidInput, match="canary_percent"):
        lm.Rollout(canary_percent=150)
    loop = make_loop(rollout=lm.Rollout(canary_percent=10, duration="5m"))
    assert lm.Loop.from_dict(loop.to_dict()).to_dict() == loop.to_dict()

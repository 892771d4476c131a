"""The scheduler: schedules, the lease singleton, tick claims, job sources and triggers."""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

import pytest

import loopml as lm
from loopml import _registry
from loopml.pipelines import Scheduler
from loopml.pipelines.errors import PipelineNotFound
from loopml.pipelines.jobs import PipelineJobs
from loopml.pipelines.schedules import next_tick, previous_tick
from tests.pipelines import flows

LATER = dt.timedelta(minutes=12)


def test_cron_ticks_in_time_zones():
    now = dt.datetime(2024, 3, 10, 12, 7, tzinfo=dt.UTC)
    assert previous_tick("*/5 * * * *", now) == now.replace(minute=5)
    assert next_tick("*/5 * * * *", now) == now.replace(minute=10)
    berlin = previous_tick("0 3 * * *", now, "Europe/Berlin")
    assert berlin == dt.datetime(2024, 3, 10, 2, 0, tzinfo=dt.UTC)


def test_a_scheduled_pipeline_runs_once_per_tick(client):
    info = client.pipelines.register(flows.scheduled)
    assert info.schedule == "*/5 * * * *"
    assert info.target == "tests.pipelines.flows:scheduled"
    created = dt.datetime.fromtimestamp(info.created_at / 1000, dt.UTC)
    jobs = PipelineJobs(client.store, client.settings)
    assert jobs.due(created) == []
    assert jobs.next_due(created) is not None

    first = Scheduler(client.store, sources=["pipelines"], holder="a", settings=client.settings)
    second = Scheduler(client.store, sources=["pipelines"], holder="b", settings=client.settings)
    try:
        [future] = first.tick(created + LATER, wait=True)
        outcome = future.result()
        assert outcome.status == "SUCCEEDED"
        assert outcome.job == "pipeline:every_five_minutes"
        assert second.tick(created + LATER, wait=True) == []  # not the leader
        assert first.tick(created + LATER, wait=True) == []  # tick already done
    finally:
        first.close()
    # after the leader gives up, the other takes over but does not repeat the tick
    try:
        assert second.tick(created + LATER, wait=True) == []
        assert second.is_leader
        assert len(second.tick(created + LATER + dt.timedelta(minutes=5), wait=True)) == 1
    finally:
        second.close()
    runs = lm.list_pipeline_runs("every_five_minutes")
    assert len(runs) == 2
    assert {r.trigger for r in runs} == {"schedule"}
    assert all(r.status == "SUCCEEDED" for r in runs)


def test_an_expired_lease_is_taken_over(client):
    first = Scheduler(client.store, sources=[], holder="a", lease_ttl=1.0)
    second = Scheduler(client.store, sources=[], holder="b", lease_ttl=1.0)
    first.tick()
    assert first.is_leader
    assert not second.is_leader
    second.tick()
    assert first.is_leader
    time.sleep(1.1)
    second.tick()
    assert second.is_leader
    assert not first.is_leader
    first.close()
    second.close()


@dataclass
class CountingJob:
    name: str
    due_at: dt.datetime
    calls: list[dt.datetime]

    def run(self) -> str:
        self.calls.append(self.due_at)
        return "counted"


@dataclass
class CountingSource:
    calls: list[dt.datetime] = field(default_factory=list)

    def due(self, now):
        tick = now.replace(second=0, microsecond=0)
        return [CountingJob("test:counter", tick, self.calls)]

    def next_due(self, now):
        return now.replace(second=0, microsecond=0) + dt.timedelta(minutes=1)


SOURCE = CountingSource()


def counting_source(store):
    return SOURCE


def test_other_components_register_job_sources(client, monkeypatch):
    monkeypatch.setitem(
        _registry.BUILTIN["scheduled_jobs"],
        "counter",
        "tests.pipelines.test_scheduler:counting_source",
    )
    SOURCE.calls.clear()
    scheduler = Scheduler(client.store, holder="a")
    assert "counter" in scheduler.sources
    assert "pipelines" in scheduler.sources
    now = dt.datetime(2030, 1, 1, 8, 30, 10, tzinfo=dt.UTC)
    try:
        scheduler.tick(now, wait=True)
        scheduler.tick(now + dt.timedelta(seconds=20), wait=True)  # same minute: claimed
        scheduler.tick(now + dt.timedelta(minutes=1), wait=True)
    finally:
        scheduler.close()
    assert SOURCE.calls == [now.replace(second=0), now.replace(second=0, minute=31)]
    assert scheduler.next_due(now) == now.replace(second=0, minute=31)


def test_triggers_queue_runs_for_the_scheduler(client):
    lm.register_pipeline(flows.squares)
    queued = lm.trigger_pipeline(
        "squares", {"n": 2}, reason="drift on churn", source="monitor:churn"
    )
    assert queued.status == "QUEUED"
    assert queued.params == {"n": 2}
    cancelled = lm.trigger_pipeline("squares", {"n": 4})
    assert lm.cancel_pipeline_run(cancelled.id).status == "CANCELLED"

    scheduler = Scheduler(client.store, sources=[], holder="a", settings=client.settings)
    try:
        scheduler.tick(wait=True)
    finally:
        scheduler.close()
    done = lm.get_pipeline_run(queued.id)
    assert done.status == "SUCCEEDED"
    assert done.trigger == "trigger"
    assert done.trigger_info == {"reason": "drift on churn", "source": "monitor:churn"}
    assert client.pipelines.load_outputs(done.outputs).tolist() == [0.0, 1.0]
    assert lm.get_pipeline_run(cancelled.id).status == "CANCELLED"

    now = flows.squares.trigger({"n": 3}, wait=True)
    assert now.status == "SUCCEEDED"
    assert now.trigger == "trigger"
    with pytest.raises(PipelineNotFound, match="known pipelines"):
        lm.trigger_pipeline("nope")
    with pytest.raises(lm.LoopmlError, match="parameter 'n' must be int"):
        lm.trigger_pipeline("squares", {"n": "x"})


def test_the_client_hands_the_scheduler_every_source(client):
    scheduler = client.scheduler(holder="a")
    try:
        assert {"pipelines", "monitors"} <= set(scheduler.sources)
    finally:
        scheduler.close()


def test_the_scheduler_logs_ticks_firings_and_skips(client, caplog):
    info = client.pipelines.register(flows.scheduled)
    created = dt.datetime.fromtimestamp(info.created_at / 1000, dt.UTC)
    first = Scheduler(client.store, sources=["pipelines"], holder="a", settings=client.settings)
    second = Scheduler(client.store, sources=["pipelines"], holder="b", settings=client.settings)
    caplog.set_level("INFO", logger="loopml.pipelines.scheduler")
    try:
        first.tick(created + LATER, wait=True)
        second.tick(created + LATER, wait=True)
        first.tick(created + LATER, wait=True)
    finally:
        first.close()
        second.close()
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.endswith("1 due, 1 started") for m in messages)
    assert any(m.startswith("running pipeline:every_five_minutes for ") for m in messages)
    assert any("finished pipeline:every_five_minutes" in m and "SUCCEEDED" in m for m in messages)
    assert any("standing by, a holds the scheduler lease" in m for m in messages)

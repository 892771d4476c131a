"""Canary and rollback against a real model server on 127.0.0.1 with live traffic."""

from __future__ import annotations

import time

import loopml as lm
from loopml.loop.demo import scenario
from loopml.loop.demo.story import _Server
from loopml.loop.demo.traffic import Traffic
from tests.loop.conftest import MODEL, register


def _serve(client):
    built = client.serving.build(
        f"{MODEL}@champion", deployment=MODEL, canary=f"{MODEL}@challenger:50",
        poll_interval=0.05, flush_interval=0.2,
    )  # fmt: skip
    server = _Server(built)
    server.start()
    return built, server


def test_a_slow_canary_is_rolled_back_and_a_good_one_promoted(deployed) -> None:
    client = deployed["client"]
    client.models.set_alias(MODEL, "challenger", 1)
    built, server = _serve(client)
    traffic = Traffic(server.url, rows_per_request=5, rate_hz=30, seed=5).start()
    try:
        loop = lm.Loop(
            "canary-loop", MODEL, triggers=[lm.Trigger.registry()], training=False,
            gates=[lm.CompatibleSignature()],
            rollout=lm.Rollout(canary_percent=50, duration="30s", min_requests=40,
                               latency_margin_ms=60, min_latency_requests=10, poll_s=0.2,
                               quality_margin=0.15,
                               servers=(server.url,)),
            cooldown="0s",
        )  # fmt: skip
        lm.apply_loop(loop)
        before = scenario.rows(500, seed=1)
        slow = scenario.SlowModel(deployed["champion"], 0.2)
        slow_version = register(client, slow, before[list(scenario.FEATURES)])

        run = client.loops.fire("canary-loop")

        assert run is not None
        assert run.status == "ROLLED_BACK", (run.error, run.state)
        assert "p95 latency" in run.state["canary_decision"]
        assert run.state["canary"]["canary"]["requests"] >= 10
        assert client.models.resolve_alias(MODEL, "champion") == 1
        assert client.models.resolve_alias(MODEL, "challenger") == 1
        reasons = [h.reason or "" for h in lm.alias_history(MODEL, "challenger")]
        assert any("rolled back" in r for r in reasons)
        assert slow_version not in {built.routes.primary.current.version}

        good = register(client, scenario.fit(before), before[list(scenario.FEATURES)])
        run = client.loops.fire("canary-loop")
        assert run is not None
        assert run.status == "PROMOTED", (run.error, run.state)
        deadline = time.monotonic() + 10
        while built.routes.primary.current.version != good and time.monotonic() < deadline:
            time.sleep(0.05)
        assert built.routes.primary.current.version == good

        started = time.perf_counter()
        change = lm.rollback(MODEL, reason="test: back to v1")
        while built.routes.primary.current.version != 1 and time.perf_counter() - started < 5:
            time.sleep(0.01)
        assert time.perf_counter() - started < 1.0
        assert change.version == 1
        assert change.reason == "test: back to v1"
        time.sleep(0.5)
    finally:
        traffic.stop()
        server.stop()
    stats = traffic.snapshot()
    assert stats.requests > 50
    assert stats.failed == 0, stats.errors

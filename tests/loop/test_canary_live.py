"""Canary and rollback against a real model server on 127.0.0.1 with live traffic."""

from __future__ import annotations

import threading
import time

import pytest

import loopml as lm
from loopml.errors import InvalidInput
from loopml.loop import promotion as pr
from loopml.loop.demo import scenario
from loopml.loop.demo.story import _Server
from loopml.loop.demo.traffic import Traffic
from loopml.serving.canary_share import format_share, parse_share, tag_key
from tests.loop.conftest import MODEL, register


def _serve(client):
    # no canary flag: the loop sets the canary share on the running deployment
    built = client.serving.build(
        f"{MODEL}@champion", deployment=MODEL, poll_interval=0.05, flush_interval=0.2
    )
    server = _Server(built)
    server.start()
    return built, server


class _CanaryWatch:
    """Records every version the server's canary route served while the test ran."""

    def __init__(self, built) -> None:
        self.built, self.seen, self.percents = built, set(), set()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            route = self.built.routes.canary
            if route is not None and route.current is not None:
                self.seen.add(route.current.version)
                self.percents.add(route.percent)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def test_the_loop_sets_the_canary_share_and_a_server_without_canary_flag_follows(
    deployed,
) -> None:
    client = deployed["client"]
    built, server = _serve(client)
    assert built.routes.canary is None
    watch = _CanaryWatch(built)
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
        # the canary route came and went with the loop's share
        assert slow_version in watch.seen
        assert watch.percents == {50.0}
        assert traffic.snapshot().versions[slow_version] > 0
        assert pr.canary_share(client.models, MODEL, MODEL) is None
        deadline = time.monotonic() + 5
        while built.routes.canary is not None and time.monotonic() < deadline:
            time.sleep(0.02)
        assert built.routes.canary is None

        good = register(client, scenario.fit(before), before[list(scenario.FEATURES)])
        run = client.loops.fire("canary-loop")
        assert run is not None
        assert run.status == "PROMOTED", (run.error, run.state)
        deadline = time.monotonic() + 10
        while built.routes.primary.current.version != good and time.monotonic() < deadline:
            time.sleep(0.05)
        assert built.routes.primary.current.version == good
        assert good in watch.seen
        assert pr.canary_share(client.models, MODEL, MODEL) is None

        started = time.perf_counter()
        change = lm.rollback(MODEL, reason="test: back to v1")
        while built.routes.primary.current.version != 1 and time.perf_counter() - started < 5:
            time.sleep(0.01)
        assert time.perf_counter() - started < 1.0
        assert change.version == 1
        assert change.reason == "test: back to v1"
        time.sleep(0.5)
    finally:
        watch.stop()
        traffic.stop()
        server.stop()
    stats = traffic.snapshot()
    assert stats.requests > 50
    assert stats.failed == 0, stats.errors


def test_a_canary_share_is_written_and_read_as_alias_and_percent() -> None:
    assert tag_key("churn") == "loopml.canary.churn"
    assert format_share("challenger", 30) == "challenger:30"
    target, percent = parse_share("churn", "challenger:12.5")
    assert (str(target), percent) == ("churn@challenger", 12.5)
    assert parse_share("churn", None) is None
    assert parse_share("churn", "challenger:0") is None
    for bad in ("challenger", ":30", "challenger:x", "challenger:101"):
        with pytest.raises(InvalidInput):
            parse_share("churn", bad)
    with pytest.raises(InvalidInput, match="between 0 and 100"):
        format_share("challenger", -1)

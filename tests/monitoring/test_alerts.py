from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import time
from typing import TYPE_CHECKING

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from loopml.monitoring import Monitor
from loopml.monitoring.channels import (
    AlertEvent,
    ChannelError,
    LogChannel,
    WebhookChannel,
    deliver,
)
from tests.monitoring.conftest import T0, features

if TYPE_CHECKING:
    from starlette.requests import Request

EVENT = AlertEvent(1, 1, "churn", "drift.share > 0.3", "opened", "critical", T0, 0.5, "drifted")


class Hook:
    """A real HTTP endpoint on 127.0.0.1 that fails the first ``failures`` requests."""

    def __init__(self, failures: int = 0, status: int = 503) -> None:
        self.failures = failures
        self.status = status
        self.bodies: list[dict] = []
        self.calls = 0

    async def receive(self, request: Request) -> JSONResponse:
        self.calls += 1
        if self.calls <= self.failures:
            return JSONResponse({"error": "busy"}, status_code=self.status)
        self.bodies.append(json.loads(await request.body()))
        return JSONResponse({"ok": True})


@pytest.fixture
def hook():
    state = Hook()
    app = Starlette(routes=[Route("/hook", state.receive, methods=["POST"])])
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    state.url = f"http://127.0.0.1:{port}/hook"
    yield state
    server.should_exit = True
    thread.join(5)


def test_webhook_retries_until_accepted(hook) -> None:
    hook.failures = 2
    WebhookChannel(hook.url, retries=3, backoff_s=0.01).send(EVENT)
    assert hook.calls == 3
    assert hook.bodies[0]["monitor"] == "churn"
    assert hook.bodies[0]["at"] == T0.isoformat()


def test_webhook_gives_up_with_a_clear_error(hook) -> None:
    hook.failures = 10
    with pytest.raises(ChannelError, match="after 3 attempt"):
        WebhookChannel(hook.url, retries=2, backoff_s=0.01).send(EVENT)
    hook.failures, hook.calls, hook.status = 10, 0, 400
    with pytest.raises(ChannelError, match="HTTP 400"):
        WebhookChannel(hook.url, retries=5, backoff_s=0.01).send(EVENT)
    assert hook.calls == 1  # a client error is not retried


def test_a_failing_channel_does_not_stop_the_others(caplog) -> None:
    seen: list[AlertEvent] = []

    class Broken:
        def send(self, event):
            raise RuntimeError("down")

    class Recorder:
        def send(self, event):
            seen.append(event)

    errors = deliver([Broken(), LogChannel(), Recorder()], [EVENT])
    assert errors == ["Broken: down"]
    assert seen == [EVENT]
    assert "alert opened: monitor churn" in caplog.text


def test_monitor_notifies_webhook_and_subscribers(monitoring, hook) -> None:
    received: list[AlertEvent] = []
    subscription = monitoring.subscribe(received.append, monitor="churn", min_severity="warning")
    ignored = monitoring.subscribe(received.append, monitor="other")
    try:
        monitoring.save(
            Monitor(
                "churn", reference=features(500, 1), rules=["quality.rows < 1:critical"],
                channels=["log", {"type": "webhook", "url": hook.url, "backoff_s": 0.01}],
            )
        )  # fmt: skip
        monitoring.run("churn", at=T0)  # empty window: breach
        monitoring.run("churn", at=T0 + dt.timedelta(hours=1))  # still breached: no new event
        monitoring.run("churn", at=T0, current=features(50, 2))  # rows again: resolved
    finally:
        subscription.cancel()
        ignored.cancel()
    assert [e.kind for e in received] == ["opened", "resolved"]
    assert [b["kind"] for b in hook.bodies] == ["opened", "resolved"]
    assert received[0].severity == "critical"

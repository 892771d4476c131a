"""Schemathesis over the whole OpenAPI document: no input makes the server answer 5xx."""

from __future__ import annotations

import tempfile

import hypothesis
import schemathesis
from schemathesis.checks import not_a_server_error

import loopml as lm
from loopml.server.app import create_app

_HOME = tempfile.mkdtemp(prefix="loopml-fuzz-")
_CLIENT = lm.Client(home=_HOME)
_APP = create_app(_CLIENT, max_body=1024 * 1024)


async def _from_loopback(scope, receive, send) -> None:
    # The single local user: calls come from 127.0.0.1 (the test client says "testclient").
    if scope["type"] in ("http", "websocket"):
        scope = {**scope, "client": ("127.0.0.1", 50000)}
    await _APP(scope, receive, send)


schema = schemathesis.openapi.from_asgi("/openapi.json", _from_loopback)


def _seed() -> None:
    # Some data, so that generated requests also reach the code behind existing objects.
    with _CLIENT.runs.start_run("fuzz", "seeded", capture=False) as run:
        run.log_metric("acc", 0.5)
        run.log_param("lr", "0.1")
        run.log_text("hello", "notes.txt")
    for component in ("monitors", "pipelines", "datasets", "features", "serving", "models"):
        getattr(_CLIENT, component)  # import the components now, not inside a timed call


_seed()


@schema.parametrize()
@hypothesis.settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_generated_request_gets_a_server_error(case) -> None:
    response = case.call(timeout=300)
    case.validate_response(response, checks=[not_a_server_error])

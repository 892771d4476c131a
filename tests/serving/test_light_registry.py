"""A server over the embedded SQLite default reads the registry without SQLAlchemy.

Issue 16 item 6 (cold start): ``loopml serve`` resolves its alias, polls it, loads
versions and reads the deployment's canary share through ``sqlite3``
(:class:`loopml.models.quick.SqliteRegistry`); the store, and SQLAlchemy with it, open
only when something needs them (the first ``/metrics`` scrape runs monitoring's
collector over the store). These tests check what is imported (``sys.modules``), and
that hot swap and the canary share behave as over the full registry.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import loopml as lm
from loopml.models import AliasNotFound, ModelNotFound
from loopml.serving.canary_share import tag_key
from loopml.serving.registry import StoreModelSource
from loopml.serving.routing import parse_target
from tests.store_env import store_env

ROOT = Path(__file__).resolve().parents[2]


class Echo(lm.PythonModel):
    def __init__(self, value: float = 1.0) -> None:
        self.value = value

    def predict(self, context, df):
        return [self.value] * len(df)


@pytest.fixture
def two_versions(sqlite_client, monkeypatch):
    for value in (1.0, 2.0):
        with lm.start_run("light") as run:
            ref = run.log_model(Echo(value), "model", example=[{"a": 1.0}])
        lm.register_model(ref, "echo")
    lm.set_alias("echo", "champion", 1)
    lm.set_alias("echo", "challenger", 2)
    settings = sqlite_client.settings
    for name, value in store_env(settings).items():
        monkeypatch.setenv(name, value)
    return sqlite_client


PROBE = """
import asyncio, json, sys
import httpx
import loopml as lm
import loopml.cli.main  # the `loopml serve` command's import tree

built = lm.build_server("echo@champion", poll_interval=0)
built.swapper.check()  # one alias poll (alias and canary share)

async def call(method, path, **kw):
    transport = httpx.ASGITransport(app=built.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://server") as client:
        return await client.request(method, path, **kw)

answer = asyncio.run(call("POST", "/predict", json={"records": [{"a": 3.0}]}))
served = sorted(sys.modules)
scrape = asyncio.run(call("GET", "/metrics"))
print(json.dumps({
    "answer": answer.json(), "served": served, "scrape": scrape.status_code,
    "scraped": sorted(sys.modules),
}))
"""


def test_starting_and_polling_a_sqlite_server_imports_no_sqlalchemy(two_versions):
    done = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["answer"]["model_version"] == 1
    assert result["answer"]["predictions"] == [1.0]
    served = set(result["served"])
    for module in ("sqlalchemy", "loopml.store.core", "loopml.store.db", "loopml.models.api"):
        assert module not in served, module
    assert not any(m.startswith("loopml.tracking") for m in served)
    # the first scrape opens the store for monitoring's collector
    assert result["scrape"] == 200
    assert "loopml.store.core" in set(result["scraped"])


def test_the_light_path_follows_alias_moves_and_the_canary_share(two_versions):
    built = lm.build_server("echo@champion", poll_interval=0)
    source = lm.get_client().serving.source
    assert source.light is not None
    assert built.routes.primary.current.version == 1
    lm.set_alias("echo", "champion", 2)
    switched = built.swapper.check()
    assert [(route.role, version) for route, version in switched] == [("primary", 2)]
    models = lm.get_client().models
    models.set_model_tags("echo", {tag_key("echo"): "challenger:25"})
    built.swapper.check()
    assert built.routes.canary is not None
    assert (built.routes.canary.percent, built.routes.canary.current.version) == (25.0, 2)
    models.delete_model_tag("echo", tag_key("echo"))
    built.swapper.check()
    assert built.routes.canary is None


def test_what_sqlite3_cannot_answer_goes_to_the_registry(two_versions):
    source = StoreModelSource(two_versions.settings)
    assert source.light is not None
    assert source.resolve(parse_target("echo@challenger")) == 2
    assert "store" not in source.__dict__
    with pytest.raises(AliasNotFound, match="champion"):  # the registry lists the aliases
        source.resolve(parse_target("echo@nope"))
    assert source.canary_share("echo", "echo") is None  # no tag: no canary
    with pytest.raises(ModelNotFound):  # no model: the registry's error, as before
        source.canary_share("missing", "missing")

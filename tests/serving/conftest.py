"""Fixtures for the model server: hand-written models, a fake registry, real uvicorn servers."""

from __future__ import annotations

import socket
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import numpy as np
import pytest
import uvicorn

from loopml.errors import NotFound
from loopml.serving.server import ServeConfig, build
from loopml.store.blob_backends.local import LocalBlobBackend
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from loopml.serving.routing import Target
    from loopml.serving.server import Built

N_FEATURES = 4
COLUMNS = tuple(f"f{i}" for i in range(N_FEATURES))


@dataclass(frozen=True)
class Column:
    name: str
    dtype: str


@dataclass(frozen=True)
class Signature:
    inputs: tuple[Column, ...]
    outputs: tuple[Column, ...] = (Column("prediction", "int64"),)


def float_signature(columns=COLUMNS) -> Signature:
    return Signature(tuple(Column(c, "float64") for c in columns))


@dataclass
class LinearModel:
    """A logistic model: predicts 1 when w.x + b > 0; counts its calls."""

    name: str
    version: int
    weights: np.ndarray
    bias: float = 0.0
    signature: Signature | None = field(default_factory=float_signature)
    flavor: str = "test"
    calls: list[int] = field(default_factory=list)
    fail: bool = False
    delay_s: float = 0.0

    def predict_array(self, x: np.ndarray) -> np.ndarray:
        if self.fail:
            raise RuntimeError("model exploded")
        if self.delay_s:
            time.sleep(self.delay_s)
        self.calls.append(len(x))
        return (self.logits(x) > 0).astype(np.int64)

    def predict_proba_array(self, x: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):  # fuzzed inputs reach 1e300
            p = 1.0 / (1.0 + np.exp(-self.logits(x)))
        return np.column_stack([1 - p, p])

    def logits(self, x: np.ndarray) -> np.ndarray:
        return np.asarray(x, dtype=np.float64) @ self.weights + self.bias


def make_model(name="churn", version=1, sign=1.0, **kw) -> LinearModel:
    return LinearModel(name, version, np.full(N_FEATURES, sign), **kw)


class FakeSource:
    """A registry in memory: models by (name, version) and aliases; a real event log."""

    def __init__(self, root: Path) -> None:
        self.models: dict[tuple[str, int], Any] = {}
        self.aliases: dict[tuple[str, str], int] = {}
        self.log = EventLog(LocalBlobBackend(str(root)))
        self.loads: list[tuple[str, int]] = []
        self.store = None
        self.broken: set[tuple[str, int]] = set()
        self.refusals: list[tuple[str, Any]] = []

    def add(self, model, alias: str | None = None) -> Any:
        self.models[(model.name, model.version)] = model
        if alias:
            self.aliases[(model.name, alias)] = model.version
        return model

    def resolve(self, target: Target) -> int:
        try:
            return self.aliases[(target.name, target.alias or "champion")]
        except KeyError:
            raise NotFound(f"no alias {target}") from None

    def load(self, target: Target, version: int) -> Any:
        self.loads.append((target.name, version))
        if (target.name, version) in self.broken:
            raise OSError(f"package of {target.name}/{version} is corrupted")
        try:
            return self.models[(target.name, version)]
        except KeyError:
            raise NotFound(f"no model {target.name}/{version}") from None

    def event_log(self) -> EventLog:
        return self.log

    def example_rows(self, model) -> list[dict[str, Any]] | None:
        return getattr(model, "example", None)

    def record_refused_swap(self, deployment: str, refusal) -> None:
        self.refusals.append((deployment, refusal))


@pytest.fixture
def source(tmp_path) -> FakeSource:
    src = FakeSource(tmp_path / "artifacts")
    src.add(make_model(version=1), alias="champion")
    return src


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """A built deployment served by uvicorn in a thread on 127.0.0.1."""

    def __init__(self, built: Built) -> None:
        self.built = built
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        config = uvicorn.Config(
            built.app, host="127.0.0.1", port=self.port, log_level="warning", lifespan="on"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        self.client = httpx.Client(base_url=self.url, timeout=20)
        return self

    def __exit__(self, *exc) -> None:
        self.client.close()
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def serve(source) -> Iterator[Any]:
    """Start servers: ``serve(target="churn@champion", **config)`` -> a running LiveServer."""
    started: list[LiveServer] = []

    def start(target: str = "churn@champion", **options: Any) -> LiveServer:
        options.setdefault("poll_interval", 0.05)
        options.setdefault("flush_interval", 0.2)
        server = LiveServer(build(ServeConfig(target, **options), source))
        started.append(server.__enter__())
        return server

    yield start
    for server in started:
        server.__exit__(None, None, None)

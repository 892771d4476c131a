"""Build a deployment's ASGI app from a :class:`ServeConfig` and run it on uvicorn.

With ``workers > 1`` uvicorn starts independent worker processes that share the
listening socket; each builds its own app from the configuration (passed in
``LOOPML_SERVE_CONFIG``), loads its own model, batches its own requests, polls the alias
for hot swaps and writes its own prediction-log files: scaling by processes, with no
dispatcher queue between them. Their metrics meet in a private prometheus-client
multiprocess folder (:mod:`loopml.serving.multiprocess`), so ``/metrics`` on any worker
shows the whole server.
"""

from __future__ import annotations

import dataclasses
import gc
import importlib.util
import json
import logging
import os
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Protocol

from loopml.errors import InvalidInput
from loopml.serving.asgi import ServingApp
from loopml.serving.canary_share import CanaryShares
from loopml.serving.metrics import Exposition, ServingMetrics
from loopml.serving.multiprocess import (
    METRICS_DIR_ENV,
    MultiprocessExposition,
    SharedMetrics,
    metrics_directory,
)
from loopml.serving.routing import parse_split, parse_target
from loopml.serving.runtime import BatchOptions, Route, Routes, Served
from loopml.serving.service import ModelService, ServiceOptions
from loopml.serving.shadow import ShadowQueue
from loopml.serving.swap import Swapper
from loopml.store.predlog.writer import PredictionLog

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import Target
    from loopml.serving.runtime import Role
    from loopml.serving.swap import RefusedSwap
    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)

CONFIG_ENV = "LOOPML_SERVE_CONFIG"
#: Longest a background thread (prediction-log writer, alias poller, shadow scorer) may
#: keep the GIL while the event loop waits for it: CPython's default of 5 ms puts a
#: whole flush's Python work in front of the requests that arrive during it (the tail at
#: concurrency 1); at 0.5 ms a request waits at most that long for the loop's turn.
SWITCH_INTERVAL_S = 0.0005
#: hot-swap events a :attr:`ServeConfig.swap_hooks` entry may name
SWAP_EVENTS = ("refused", "recovered")


@dataclass(frozen=True, slots=True)
class ServeConfig:
    """Everything ``loopml serve`` accepts.

    Args:
        target: the model, ``churn@champion`` (follows the alias), ``churn/3`` or ``churn``.
        deployment: name of the deployment (prediction-log stream); default the model name.
        canary: ``churn@challenger:10`` sends 10 % of requests to that target. Without
            it the server follows the canary share a loop sets on the deployment
            (:mod:`loopml.serving.canary_share`).
        canary_mode: ``hash`` (stable by routing key, random without one) or ``random``.
        shadow: a target that scores a copy of every request (logged, never returned).
        host: interface to bind (loopback by default).
        port: TCP port.
        workers: independent server processes.
        max_batch_size: most rows per model call (1 turns adaptive batching off).
        max_wait_ms: longest a partial batch waits for more rows (0: never).
        log_predictions: write every prediction to the prediction log.
        log_scores: add positive-class probabilities to the log (computed off the request path).
        flush_interval: seconds between prediction-log writes.
        max_pending_rows: most prediction-log rows held while the store is slow; further
            rows are dropped (counted on ``/metrics``) so that serving never waits.
        poll_interval: seconds between alias checks for hot swap (0: never).
        max_body_mb: largest accepted request body.
        routing_header: request header holding the canary routing key.
        settings: overrides of loopml settings (``db_url``, ``artifacts``, ``home``).
        collectors: extra ``/metrics`` collectors, ``name -> "module:factory"`` with
            ``factory(store) -> Collector``; the client hands over monitoring's.
        swap_hooks: called on hot-swap events, ``event -> "module:function"``: ``refused``
            as ``function(store, deployment, refusal)``, ``recovered`` as
            ``function(store, deployment, role, version)``; the client hands over
            monitoring's alerts (imported on the first event, never at start-up).
    """

    target: str
    deployment: str | None = None
    canary: str | None = None
    canary_mode: Literal["hash", "random"] = "hash"
    shadow: str | None = None
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_batch_size: int = 64
    max_wait_ms: float = 0.0
    log_predictions: bool = True
    log_scores: bool = True
    flush_interval: float = 1.0
    max_pending_rows: int = 100_000
    poll_interval: float = 1.0
    max_body_mb: float = 32.0
    routing_header: str = "x-routing-key"
    settings: dict[str, Any] = field(default_factory=dict)
    collectors: dict[str, str] = field(default_factory=dict)
    swap_hooks: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        parse_target(self.target)
        if self.canary is not None:
            parse_split(self.canary)
        if self.shadow is not None:
            parse_target(self.shadow)
        if self.canary_mode not in ("hash", "random"):
            raise InvalidInput(f"canary mode {self.canary_mode!r} must be 'hash' or 'random'")
        if self.max_batch_size < 1:
            raise InvalidInput(f"max batch size must be at least 1, not {self.max_batch_size}")
        if self.max_wait_ms < 0:
            raise InvalidInput(f"max wait must not be negative, not {self.max_wait_ms} ms")
        if self.workers < 1:
            raise InvalidInput(f"workers must be at least 1, not {self.workers}")
        if self.max_pending_rows < 1:
            raise InvalidInput(f"max pending rows must be at least 1, not {self.max_pending_rows}")
        if self.max_body_mb <= 0:
            raise InvalidInput(f"max body size must be positive, not {self.max_body_mb} MB")
        unknown = set(self.swap_hooks) - set(SWAP_EVENTS)
        if unknown:
            raise InvalidInput(
                f"unknown swap hook event(s) {sorted(unknown)}; use {', '.join(SWAP_EVENTS)}"
            )
        if self.shadow is not None and not self.log_predictions:
            raise InvalidInput("a shadow's answers go only to the prediction log; keep logging on")

    @property
    def deployment_name(self) -> str:
        """The deployment name (default: the primary model's name)."""
        return self.deployment or parse_target(self.target).name

    def to_json(self) -> str:
        """Serialise (for worker processes)."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        """Inverse of :meth:`to_json`."""
        return cls(**json.loads(text))


class ModelSource(Protocol):
    """Where a server gets models and writes its log (the registry over a store)."""

    def resolve(self, target: Target) -> int:
        """Return the version an alias target points at now."""
        ...

    def load(self, target: Target, version: int) -> ServableModel:
        """Load one version of the target's model."""
        ...

    def event_log(self) -> EventLog:
        """Return the event log for predictions and feedback."""
        ...

    def example_rows(self, model: ServableModel) -> list[dict[str, Any]] | None:
        """Return the example rows logged with ``model`` (``None`` when there are none)."""
        ...

    def record_refused_swap(self, deployment: str, refusal: RefusedSwap) -> None:
        """Keep a record of a refused hot swap."""
        ...

    @property
    def store(self) -> Any:
        """The store (handed to registered metrics collectors)."""
        ...


@dataclass
class Built:
    """A built deployment: its ASGI app and the parts tests and tools may inspect."""

    app: ServingApp
    service: ModelService
    routes: Routes
    swapper: Swapper
    predlog: PredictionLog
    metrics: ServingMetrics


def build(config: ServeConfig, source: ModelSource, metrics_dir: str | None = None) -> Built:
    """Load every route's model and wire the deployment (raises if a model cannot load).

    ``metrics_dir`` is the multiprocess-metrics folder of a multi-worker server: this
    worker's numbers go there and ``/metrics`` merges every worker's.
    """
    deployment = config.deployment_name
    metrics = ServingMetrics(deployment)
    shared = SharedMetrics(metrics, metrics_dir) if metrics_dir else None
    canary = None
    if config.canary is not None:
        canary_target, percent = parse_split(config.canary)
        canary = Route("canary", canary_target, percent)
    shadow = Route("shadow", parse_target(config.shadow)) if config.shadow else None
    routes = Routes(
        Route("primary", parse_target(config.target)),
        canary,
        shadow,
        canary_mode=config.canary_mode,
        salt=deployment,
    )
    batching = BatchOptions(config.max_batch_size, config.max_wait_ms)
    refused_hook = _hook(config.swap_hooks.get("refused"), source, deployment)
    recovered_hook = _hook(config.swap_hooks.get("recovered"), source, deployment)

    def make_served(model: ServableModel, role: Role) -> Served:
        return Served(model, role, batching=batching if role != "shadow" else None, metrics=metrics)

    swapper = Swapper(
        routes,
        source.resolve,
        source.load,
        make_served,
        poll_interval=config.poll_interval,
        metrics=metrics,
        examples=source.example_rows,
        on_refused=lambda refusal: _refused(source, deployment, refusal, refused_hook),
        on_recovered=recovered_hook,
        canary_share=_canary_share(config, source),
    )
    swapper.load_all()
    predlog = PredictionLog(
        source.event_log,
        deployment,
        flush_interval=config.flush_interval,
        max_pending_rows=config.max_pending_rows,
    )
    metrics.log_stats = predlog.stats
    queue = ShadowQueue(shadow, metrics) if shadow is not None else None
    if queue is not None:
        predlog.sources.append(queue.drain)
    options = ServiceOptions(
        log_predictions=config.log_predictions,
        log_scores=config.log_scores,
        max_body_bytes=int(config.max_body_mb * 1024 * 1024),
        routing_header=config.routing_header,
    )
    service = ModelService(
        deployment,
        routes,
        metrics,
        # the store opens at the first scrape: collectors need it, starting does not
        MultiprocessExposition(shared, None, config.collectors, open_store=lambda: source.store)
        if shared is not None
        else Exposition(metrics, None, config.collectors, open_store=lambda: source.store),
        predlog=predlog,
        shadow=queue,
        options=options,
    )

    switch_interval = [sys.getswitchinterval()]

    def start() -> None:
        # Everything loaded so far (libraries, the model) lives as long as the server:
        # freezing it keeps full garbage collections, which the prediction log's
        # long-lived buffers would otherwise trigger, from walking it and stalling requests.
        # No gc.collect() first: at this point it finds a few dozen objects and costs
        # 80 ms of the cold start.
        gc.freeze()
        switch_interval[0] = sys.getswitchinterval()
        sys.setswitchinterval(min(switch_interval[0], SWITCH_INTERVAL_S))
        predlog.start()
        swapper.start()
        if shared is not None:
            shared.start()

    def stop() -> None:
        swapper.stop()
        predlog.close()
        if shared is not None:
            shared.close()
        gc.unfreeze()
        sys.setswitchinterval(switch_interval[0])

    app = ServingApp(service, on_startup=start, on_shutdown=stop)
    return Built(app, service, routes, swapper, predlog, metrics)


def _canary_share(
    config: ServeConfig, source: ModelSource
) -> Callable[[], tuple[Target, float] | None] | None:
    """Follow the canary share set on the deployment, unless ``--canary`` fixed the route."""
    if config.canary is not None or not isinstance(source, CanaryShares):
        return None
    model, deployment = parse_target(config.target).name, config.deployment_name
    return lambda: source.canary_share(model, deployment)


def _hook(target: str | None, source: ModelSource, deployment: str) -> Callable[..., None] | None:
    """A swap hook ``"module:function"`` bound to the store and deployment (imported lazily)."""
    if not target:
        return None

    def call(*args: Any) -> None:
        from loopml._registry import import_target

        import_target(target)(source.store, deployment, *args)

    return call


def _refused(
    source: ModelSource,
    deployment: str,
    refusal: RefusedSwap,
    hook: Callable[..., None] | None,
) -> None:
    """Record a refused swap in the swaps stream, then hand it to the hook (the alert)."""
    try:
        source.record_refused_swap(deployment, refusal)
    finally:
        if hook is not None:
            hook(refusal)


@dataclass(frozen=True, slots=True)
class Ready:
    """Where a started server answers and what it serves (handed to ``on_ready``)."""

    url: str
    docs_url: str
    deployment: str
    model_name: str
    model_version: int


def run(
    config: ServeConfig,
    source: ModelSource | None = None,
    *,
    on_ready: Callable[[Ready], None] | None = None,
) -> None:
    """Serve ``config`` on uvicorn until interrupted; ``on_ready`` is called once it listens."""
    import uvicorn

    options: dict[str, Any] = {
        "host": config.host,
        "port": config.port,
        "log_level": logging.getLevelName(max(logging.getLogger("loopml").level, 30)).lower(),
        "access_log": False,
        "loop": "uvloop" if importlib.util.find_spec("uvloop") else "asyncio",
        "http": "httptools" if importlib.util.find_spec("httptools") else "h11",
        "lifespan": "on",
    }
    if config.workers > 1:
        os.environ[CONFIG_ENV] = config.to_json()
        with metrics_directory():
            logger.info(
                "serving %s on http://%s:%s with %d workers",
                config.target, config.host, config.port, config.workers,
            )  # fmt: skip
            uvicorn.run(
                "loopml.serving.server:worker_app", factory=True, workers=config.workers, **options
            )
        return
    built = build(config, source if source is not None else store_source(config.settings))
    server = uvicorn.Server(uvicorn.Config(built.app, **options))
    original_startup = server.startup

    async def startup(sockets: Any = None) -> None:
        await original_startup(sockets=sockets)
        if server.started:
            _announce(config, built, on_ready)

    server.startup = startup  # type: ignore[method-assign]
    server.run()


def _announce(config: ServeConfig, built: Built, on_ready: Callable[[Ready], None] | None) -> None:
    current = built.routes.primary.current
    host = f"[{config.host}]" if ":" in config.host else config.host
    url = f"http://{host}:{config.port}"
    ready = Ready(
        url,
        f"{url}/docs",
        built.service.deployment,
        current.name if current is not None else config.target,
        current.version if current is not None else 0,
    )
    logger.info(
        "serving %s version %s on %s (docs: %s)",
        ready.model_name,
        ready.model_version,
        ready.url,
        ready.docs_url,
    )
    if on_ready is not None:
        on_ready(ready)


def worker_app() -> ServingApp:
    """Build the app of one worker process from ``LOOPML_SERVE_CONFIG`` (uvicorn factory)."""
    config = ServeConfig.from_json(os.environ[CONFIG_ENV])
    return build(config, store_source(config.settings), os.environ.get(METRICS_DIR_ENV)).app


def store_source(settings: dict[str, Any]) -> ModelSource:
    """Return the model source over the configured store and model registry."""
    from loopml.serving.registry import StoreModelSource

    return StoreModelSource.open(**settings)

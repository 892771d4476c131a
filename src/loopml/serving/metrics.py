"""Server metrics: cheap counters on the request path, Prometheus text on ``/metrics``.

Requests only bump plain dict entries (the event loop is single-threaded, so no locks);
a :mod:`prometheus_client` collector turns them into metric families when scraped.
Collectors of other components (``name -> "module:factory"``, ``factory(store) ->
Collector``) are handed to the server by the client (monitoring's gauges), or come from
plug-ins (``_registry`` kind ``metrics_collectors``); they are imported on the first
scrape, so serving never imports the components that provide them.
"""

from __future__ import annotations

import bisect
import logging
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.store.predlog.writer import LogStats

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

logger = logging.getLogger(__name__)

LATENCY_BUCKETS = (
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
)  # fmt: skip
BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 4096)
LOAD_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class Histogram:
    """Bucket counts and a sum per label set."""

    def __init__(self, buckets: Sequence[float]) -> None:
        self.buckets = tuple(buckets)
        self.series: dict[tuple[str, ...], list[float]] = {}

    def observe(self, labels: tuple[str, ...], value: float) -> None:
        """Record one observation."""
        series = self.series.get(labels)
        if series is None:
            series = self.series[labels] = [0.0] * (len(self.buckets) + 2)
        series[bisect.bisect_left(self.buckets, value)] += 1
        series[-1] += value

    def samples(self, labels: tuple[str, ...]) -> tuple[list[tuple[str, float]], float]:
        """Return cumulative ``(le, count)`` pairs and the sum for one label set."""
        series = self.series[labels]
        running = 0.0
        pairs = []
        for bound, count in zip((*map(_le, self.buckets), "+Inf"), series[:-1], strict=True):
            running += count
            pairs.append((bound, running))
        return pairs, series[-1]


def _le(bound: float) -> str:
    return repr(float(bound))


class ServingMetrics:
    """Every number the model server exposes, labelled by deployment."""

    def __init__(self, deployment: str) -> None:
        self.deployment = deployment
        self.requests: dict[tuple[str, str, str, str], int] = defaultdict(int)
        #: answered 200s by (endpoint, model, version): the hot path's cheaper count
        self.answered: dict[tuple[str, str, str], int] = defaultdict(int)
        self.errors: dict[tuple[str, str], int] = defaultdict(int)
        self.latency = Histogram(LATENCY_BUCKETS)
        self.batch_size = Histogram(BATCH_BUCKETS)
        self.rows: dict[tuple[str, str, str], int] = defaultdict(int)
        self.loads: dict[tuple[str, str, str, str], int] = defaultdict(int)
        self.load_seconds = Histogram(LOAD_BUCKETS)
        self.serving: dict[str, tuple[str, str]] = {}
        #: every (route, model, version) loaded since start; info is 0 once swapped out
        self.loaded: set[tuple[str, str, str]] = set()
        self.refused: dict[tuple[str, str, str, str], int] = defaultdict(int)
        #: route -> (model, version) of the latest refused swap, until a swap succeeds
        self.swap_refused: dict[str, tuple[str, str]] = {}
        self.shadow_errors = 0
        self.feedback_rows = 0
        #: the prediction log's counters (rows written, dropped, pending, flush errors)
        self.log_stats: LogStats | None = None

    # ------------------------------------------------------------------ recording
    def request(
        self, endpoint: str, model: str, version: str, code: int, seconds: float | None
    ) -> None:
        """Count one answered request (and its latency when it reached a model)."""
        self.requests[(endpoint, model, version, str(code))] += 1
        if seconds is not None:
            self.latency.observe((endpoint, model, version), seconds)

    def ok(self, labels: tuple[str, str, str], seconds: float) -> None:
        """Count one answered 200 of ``(endpoint, model, version)`` and its latency.

        The request path's form of :meth:`request`: the labels tuple is built once per
        served version, not per request.
        """
        self.answered[labels] += 1
        self.latency.observe(labels, seconds)

    def request_counts(self) -> dict[tuple[str, str, str, str], int]:
        """Requests by ``(endpoint, model, version, code)``, hot-path counts included."""
        counts = dict(self.requests)
        for labels, value in list(self.answered.items()):
            key = (*labels, "200")
            counts[key] = counts.get(key, 0) + value
        return counts

    def error(self, endpoint: str, error: str) -> None:
        """Count one failed request by error type."""
        self.errors[(endpoint, error)] += 1

    def batch(self, model: str, version: str, route: str, rows: int) -> None:
        """Record one model call of ``rows`` rows."""
        self.scored((model, version, route), rows)

    def scored(self, labels: tuple[str, str, str], rows: int) -> None:
        """Record one model call of ``rows`` rows for ``(model, version, route)``."""
        self.batch_size.observe(labels, rows)
        self.rows[labels] += rows

    def load(self, route: str, model: str, version: str, outcome: str, seconds: float) -> None:
        """Record a model load attempt (``outcome``: ``loaded`` or ``failed``)."""
        self.loads[(route, model, version, outcome)] += 1
        if outcome == "loaded":
            self.load_seconds.observe((route, model), seconds)
            self.loaded.add((route, model, version))

    def refused_swap(self, route: str, model: str, version: str, kind: str) -> None:
        """Record a refused hot swap (``kind``: load, warm_up or signature)."""
        self.refused[(route, model, version, kind)] += 1
        self.swap_refused[route] = (model, version)

    # ------------------------------------------------------------------ exposition
    def families(self) -> Iterator[Any]:
        """Yield Prometheus metric families (used by :class:`MetricsCollector`)."""
        from prometheus_client.core import (
            CounterMetricFamily,
            GaugeMetricFamily,
            HistogramMetricFamily,
        )

        d = self.deployment
        requests = CounterMetricFamily(
            "loopml_serving_requests",
            "Requests answered, by endpoint, model version and HTTP status.",
            labels=["deployment", "endpoint", "model", "model_version", "code"],
        )
        for key, value in sorted(self.request_counts().items()):
            requests.add_metric([d, *key], value)
        yield requests
        errors = CounterMetricFamily(
            "loopml_serving_request_errors",
            "Requests that failed, by endpoint and error type.",
            labels=["deployment", "endpoint", "error"],
        )
        for error_key, count in sorted(self.errors.items()):
            errors.add_metric([d, *error_key], count)
        yield errors
        yield _histogram(
            HistogramMetricFamily(
                "loopml_serving_request_latency_seconds",
                "Time from request to answer, by endpoint and model version.",
                labels=["deployment", "endpoint", "model", "model_version"],
            ),
            self.latency,
            d,
        )
        yield _histogram(
            HistogramMetricFamily(
                "loopml_serving_batch_size",
                "Rows per model call (adaptive batching), by model version and route.",
                labels=["deployment", "model", "model_version", "route"],
            ),
            self.batch_size,
            d,
        )
        rows = CounterMetricFamily(
            "loopml_serving_rows_scored",
            "Rows scored, by model version and route (primary, canary, shadow).",
            labels=["deployment", "model", "model_version", "route"],
        )
        for rows_key, total in sorted(self.rows.items()):
            rows.add_metric([d, *rows_key], total)
        yield rows
        loads = CounterMetricFamily(
            "loopml_serving_model_loads",
            "Model load events (start-up and hot swaps), by outcome.",
            labels=["deployment", "route", "model", "model_version", "outcome"],
        )
        for key, value in sorted(self.loads.items()):
            loads.add_metric([d, *key], value)
        yield loads
        yield _histogram(
            HistogramMetricFamily(
                "loopml_serving_model_load_seconds",
                "Time to load a model version.",
                labels=["deployment", "route", "model"],
            ),
            self.load_seconds,
            d,
        )
        info = GaugeMetricFamily(
            "loopml_serving_model_info",
            "1 for the model version each route serves now, 0 for versions swapped out.",
            labels=["deployment", "route", "model", "model_version"],
        )
        for route, model, version in sorted(self.loaded):
            info.add_metric([d, route, model, version], self.serving.get(route) == (model, version))
        yield info
        refused = CounterMetricFamily(
            "loopml_serving_swaps_refused",
            "Hot swaps refused (reason: load, warm_up, signature); the old version kept serving.",
            labels=["deployment", "route", "model", "model_version", "reason"],
        )
        for refused_key, count in sorted(self.refused.items()):
            refused.add_metric([d, *refused_key], count)
        yield refused
        pending = GaugeMetricFamily(
            "loopml_serving_swap_refused",
            "1 while a route's latest swap was refused (alert on it), 0 once a swap succeeds.",
            labels=["deployment", "route"],
        )
        for route in sorted({r for r, _, _ in self.loaded} | set(self.swap_refused)):
            pending.add_metric([d, route], route in self.swap_refused)
        yield pending
        yield from self._log_families(CounterMetricFamily, GaugeMetricFamily)

    def _log_families(self, counter: Any, gauge: Any) -> Iterator[Any]:
        d = [self.deployment]
        stats = self.log_stats or LogStats()
        for name, doc, value, kind in (
            ("loopml_serving_predictions_logged", "Rows written to the prediction log.",
             stats.logged_rows, counter),
            ("loopml_serving_prediction_log_dropped",
             "Rows dropped because the prediction log's queue was full (slow store).",
             stats.dropped_rows, counter),
            ("loopml_serving_prediction_log_flush_errors", "Failed prediction-log flushes.",
             stats.flush_errors, counter),
            ("loopml_serving_prediction_log_pending", "Rows waiting to be written.",
             stats.pending_rows, gauge),
            ("loopml_serving_feedback_rows", "Feedback labels received.",
             self.feedback_rows, counter),
            ("loopml_serving_shadow_errors", "Shadow scoring failures (never seen by callers).",
             self.shadow_errors, counter),
        ):  # fmt: skip
            family = kind(name, doc, labels=["deployment"])
            family.add_metric(d, value)
            yield family


def _histogram(family: Any, histogram: Histogram, deployment: str) -> Any:
    for labels in sorted(histogram.series):
        buckets, total = histogram.samples(labels)
        family.add_metric([deployment, *labels], buckets, total)
    return family


class MetricsCollector:
    """A ``prometheus_client`` collector over :class:`ServingMetrics`."""

    def __init__(self, metrics: ServingMetrics) -> None:
        self.metrics = metrics

    def collect(self) -> Iterator[Any]:
        """Yield the current metric families."""
        yield from self.metrics.families()


class Exposition:
    """Renders ``/metrics``: serving metrics, process metrics and registered collectors.

    Args:
        metrics: the deployment's serving metrics.
        store: the store handed to each collector factory.
        collectors: extra collectors, ``name -> "module:factory"``.
        open_store: returns the store when ``store`` is not given, called when the
            collectors are first built (the first scrape), so that a server starts
            without opening its store.
    """

    def __init__(
        self,
        metrics: ServingMetrics,
        store: Any = None,
        collectors: Mapping[str, str] | None = None,
        *,
        open_store: Callable[[], Any] | None = None,
    ) -> None:
        self.metrics = metrics
        self._store = store
        self._open_store = open_store
        plugins = _registry.BUILTIN.get("metrics_collectors", {})
        self.collectors = {**plugins, **(collectors or {})}
        self._registry: Any = None

    @property
    def store(self) -> Any:
        """The store handed to collector factories (opened on first use)."""
        if self._store is None and self._open_store is not None:
            self._store = self._open_store()
        return self._store

    def render(self) -> tuple[bytes, str]:
        """Return the Prometheus text body and its content type."""
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        if self._registry is None:
            self._registry = self._build()
        return generate_latest(self._registry), CONTENT_TYPE_LATEST

    def _build(self) -> Any:
        from prometheus_client import CollectorRegistry, ProcessCollector

        registry = CollectorRegistry(auto_describe=False)
        registry.register(MetricsCollector(self.metrics))
        ProcessCollector(registry=registry)
        for name, target in sorted(self.collectors.items()):
            try:
                factory = _registry.import_target(target)
                registry.register(_Guarded(name, factory(self.store)))
            except Exception:  # a broken plug-in must not take /metrics down
                logger.exception("metrics collector %r (%s) could not be added", name, target)
        return registry


class _Guarded:
    """Wraps a plug-in collector so that its failure only drops its own metrics."""

    def __init__(self, name: str, collector: Any) -> None:
        self.name = name
        self.collector = collector

    def collect(self) -> Iterator[Any]:
        try:
            families = list(self.collector.collect())
        except Exception:
            logger.warning("metrics collector %r failed; skipped", self.name, exc_info=True)
            return
        yield from families

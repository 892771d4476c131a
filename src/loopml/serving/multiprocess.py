"""One Prometheus view over N server processes (prometheus-client multiprocess mode).

``loopml serve --workers N`` starts N processes that share the listening socket; each
counts its own requests in :class:`~loopml.serving.metrics.ServingMetrics`. Here each
worker mirrors those numbers into prometheus-client's multiprocess files (one set per
process id) in a folder created for this server, and whichever worker answers
``/metrics`` merges every worker's files with ``MultiProcessCollector``: counters and
histograms are summed, the pending prediction-log rows are summed over live workers and
``loopml_serving_model_info`` shows a version while any live worker serves it.

Workers write their snapshot every ``interval`` seconds and just before they answer a
scrape, so another worker's numbers are at most ``interval`` old. The folder is removed
when the server stops.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import tempfile
import threading
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.serving.metrics import Exposition, _Guarded

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator, Mapping

    from loopml.serving.metrics import ServingMetrics

logger = logging.getLogger(__name__)

#: the folder of the multiprocess files, set by the supervisor for its workers
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
#: gauges and how prometheus-client merges them over live processes
GAUGE_MODES = {
    "loopml_serving_model_info": "livemax",
    "loopml_serving_prediction_log_pending": "livesum",
}
DEFAULT_GAUGE_MODE = "livesum"


@contextlib.contextmanager
def metrics_directory() -> Iterator[str]:
    """Create a private multiprocess-metrics folder, export it to workers, remove it after."""
    directory = tempfile.mkdtemp(prefix="loopml-metrics-")
    previous = os.environ.get(METRICS_DIR_ENV)
    os.environ[METRICS_DIR_ENV] = directory
    try:
        yield directory
    finally:
        if previous is None:
            os.environ.pop(METRICS_DIR_ENV, None)
        else:
            os.environ[METRICS_DIR_ENV] = previous
        shutil.rmtree(directory, ignore_errors=True)


def snapshot_samples(families: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Turn metric families into multiprocess entries: file kind -> mmap key -> value.

    Histogram buckets are stored per bucket (not cumulative), as prometheus-client's own
    multiprocess histograms store them; the collector adds ``_count`` and accumulates.
    """
    entries: dict[str, dict[str, float]] = defaultdict(dict)
    for family in families:
        if family.type == "histogram":
            entries["histogram"].update(_histogram_entries(family))
            continue
        kind = "counter" if family.type == "counter" else f"gauge_{_gauge_mode(family.name)}"
        for sample in family.samples:
            entries[kind][_key(family, sample.name, sample.labels)] = float(sample.value)
    return entries


def _gauge_mode(name: str) -> str:
    return GAUGE_MODES.get(name, DEFAULT_GAUGE_MODE)


def _key(family: Any, sample_name: str, labels: dict[str, str]) -> str:
    return json.dumps([family.name, sample_name, labels, family.documentation], sort_keys=True)


def _histogram_entries(family: Any) -> dict[str, float]:
    entries: dict[str, float] = {}
    cumulative: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = defaultdict(list)
    for sample in family.samples:
        if sample.name.endswith("_bucket"):
            rest = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
            cumulative[rest].append((float(sample.labels["le"]), float(sample.value)))
        elif sample.name.endswith("_sum"):
            entries[_key(family, sample.name, sample.labels)] = float(sample.value)
    for rest, buckets in cumulative.items():
        previous = 0.0
        for bound, running in sorted(buckets):
            labels = {**dict(rest), "le": _go_float(bound)}
            entries[_key(family, f"{family.name}_bucket", labels)] = running - previous
            previous = running
    return entries


def _go_float(bound: float) -> str:
    return "+Inf" if bound == float("inf") else repr(bound)


class SharedMetrics:
    """Mirrors one worker's :class:`ServingMetrics` into the multiprocess folder.

    Args:
        metrics: this worker's metrics.
        directory: the server's multiprocess folder.
        interval: seconds between background snapshots.
    """

    def __init__(self, metrics: ServingMetrics, directory: str, interval: float = 0.5) -> None:
        from prometheus_client.mmap_dict import MmapedDict

        self.metrics = metrics
        self.directory = directory
        self.interval = interval
        self.pid = os.getpid()
        self._mmaped: Any = MmapedDict
        self._files: dict[str, Any] = {}
        self._written: dict[str, set[str]] = defaultdict(set)
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Write a first snapshot and keep writing them in a background thread."""
        self.sync()
        self._thread = threading.Thread(
            target=self._loop, name="loopml-shared-metrics", daemon=True
        )
        self._thread.start()

    def sync(self) -> None:
        """Write this worker's current numbers (safe to call from any thread)."""
        try:
            entries = snapshot_samples(list(self.metrics.families()))
        except RuntimeError:  # a label set was added while we read; next tick has it
            return
        with self._lock:
            for kind, values in entries.items():
                handle = self._file(kind)
                for key, value in values.items():
                    handle.write_value(key, value, 0.0)
                # A gauge label set that vanished (the old version after a hot swap) reads 0.
                if kind.startswith("gauge"):
                    for key in self._written[kind] - values.keys():
                        handle.write_value(key, 0.0, 0.0)
                self._written[kind].update(values)

    def close(self) -> None:
        """Stop the thread, write a last snapshot and retire this worker's live gauges."""
        from prometheus_client.multiprocess import mark_process_dead

        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self.sync()
        with self._lock:
            for handle in self._files.values():
                handle.close()
            self._files.clear()
        mark_process_dead(self.pid, self.directory)  # type: ignore[no-untyped-call]

    def _file(self, kind: str) -> Any:
        handle = self._files.get(kind)
        if handle is None:
            path = os.path.join(self.directory, f"{kind}_{self.pid}.db")
            handle = self._files[kind] = self._mmaped(path)
        return handle

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self.sync()
            except Exception:  # metrics must never take the worker down
                logger.warning("could not write shared metrics", exc_info=True)


class MultiprocessExposition(Exposition):
    """``/metrics`` of a multi-worker server: every worker's numbers merged."""

    def __init__(
        self,
        shared: SharedMetrics,
        store: Any = None,
        collectors: Mapping[str, str] | None = None,
        *,
        open_store: Callable[[], Any] | None = None,
    ) -> None:
        super().__init__(shared.metrics, store, collectors, open_store=open_store)
        self.shared = shared

    def render(self) -> tuple[bytes, str]:
        """Write this worker's snapshot, then render the merged view."""
        self.shared.sync()
        return super().render()

    def _build(self) -> Any:
        from prometheus_client import CollectorRegistry, ProcessCollector
        from prometheus_client.multiprocess import MultiProcessCollector

        registry = CollectorRegistry(auto_describe=False)
        MultiProcessCollector(registry, path=self.shared.directory)  # type: ignore[no-untyped-call]
        ProcessCollector(registry=registry)
        for name, target in sorted(self.collectors.items()):
            try:
                factory = _registry.import_target(target)
                registry.register(_Guarded(name, factory(self.store)))
            except Exception:  # a broken plug-in must not take /metrics down
                logger.exception("metrics collector %r (%s) could not be added", name, target)
        return registry

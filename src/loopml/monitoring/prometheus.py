"""Prometheus gauges from the latest stored monitor results and the open alerts.

``collector(store)`` returns a collector for any ``prometheus_client`` registry (the client
hands it to model servers, which add it to their ``/metrics``);
``render(store)`` returns the text exposition on its own. Reads are cached for a few
seconds, so scrapes cost one query at most every ``ttl_s``.
"""

from __future__ import annotations

import threading
import time
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import select

from loopml.monitoring import storage as st
from loopml.store.tables import monitoring as t

if TYPE_CHECKING:
    from collections.abc import Iterator

    from prometheus_client.metrics_core import Metric

    from loopml.monitoring.records import WindowResult
    from loopml.store import Store

SEVERITY_LEVEL = {"info": 1.0, "warning": 2.0, "critical": 3.0}


class MonitoringCollector(Collector):
    """Gauges: drift scores, drifted share, performance, data quality and alert states."""

    def __init__(self, store: Store, ttl_s: float = 5.0) -> None:
        self.store = store
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._cached: tuple[float, list[Metric]] | None = None

    def collect(self) -> Iterator[Metric]:
        """Yield the gauge families (cached for ``ttl_s`` seconds)."""
        with self._lock:
            if self._cached is None or time.monotonic() - self._cached[0] > self.ttl_s:
                self._cached = (time.monotonic(), self._build())
            families = self._cached[1]
        yield from families

    def _build(self) -> list[Metric]:
        results = st.latest_results(self.store.db)
        return [*result_families(results), *alert_families(self._open_alerts())]

    def _open_alerts(self) -> list[Any]:
        a = t.monitor_alerts
        with self.store.db.read() as conn:
            return list(conn.execute(select(a).where(a.c.status == "open")).all())


def result_families(results: list[WindowResult]) -> list[Metric]:
    """Gauge families built from the latest result of each monitor."""
    share = GaugeMetricFamily(
        "loopml_monitor_drift_share",
        "Share of drifted columns in the latest window.",
        labels=["monitor"],
    )
    score = GaugeMetricFamily(
        "loopml_monitor_drift_score", "Drift statistic of a column in the latest window.",
        labels=["monitor", "column", "statistic"],
    )  # fmt: skip
    drifted = GaugeMetricFamily(
        "loopml_monitor_column_drifted",
        "1 if the column drifted in the latest window.",
        labels=["monitor", "column"],
    )
    performance = _PerformanceFamilies()
    quality = GaugeMetricFamily(
        "loopml_monitor_data_quality",
        "Data quality figure of a column in the latest window.",
        labels=["monitor", "check", "column"],
    )
    rows = GaugeMetricFamily(
        "loopml_monitor_window_rows", "Rows in the latest window.", labels=["monitor"]
    )
    last = GaugeMetricFamily(
        "loopml_monitor_last_window_end_seconds",
        "End of the latest evaluated window (Unix time).",
        labels=["monitor"],
    )
    status = GaugeMetricFamily(
        "loopml_monitor_status",
        "1 for the status of the latest window, 0 for the other statuses (never absent).",
        labels=["monitor", "status"],
    )
    for result in results:
        name = result.monitor
        rows.add_metric([name], float(result.rows))
        last.add_metric([name], result.window_end.timestamp())
        for each in sorted({*STATUSES, result.status}):
            status.add_metric([name, each], float(each == result.status))
        if result.drift_share is not None:
            share.add_metric([name], float(result.drift_share))
        for col in result.detail.get("drift", []):
            if not col.get("tested"):
                continue
            drifted.add_metric([name, col["column"]], float(bool(col["drifted"])))
            for stat in ("statistic", "p_value", "effect", "psi", "wasserstein", "jensen_shannon"):
                if col.get(stat) is not None:
                    score.add_metric([name, col["column"], stat], float(col[stat]))
        performance.add(result)
        for key, value in result.metrics.items():
            parts = key.split(".", 2)
            if parts[0] == "quality" and len(parts) == 3 and value is not None:
                quality.add_metric([name, parts[1], parts[2]], float(value))
    return [share, drifted, score, *performance.families, quality, rows, last, status]


STATUSES = ("empty", "error", "ok")


class _PerformanceFamilies:
    """Performance gauges: per served version, per shadow version, and overall.

    Each series carries a real version number in ``model_version`` (or none, for the
    overall figures), so summing a family over ``model_version`` never counts a row twice.
    """

    def __init__(self) -> None:
        def gauge(name: str, doc: str, labels: list[str]) -> GaugeMetricFamily:
            return GaugeMetricFamily(name, doc, labels=labels)

        self.performance = gauge(
            "loopml_monitor_performance",
            "Performance of each answering model version on its labelled predictions.",
            ["monitor", "metric", "model_version"],
        )
        self.labelled = gauge(
            "loopml_monitor_labelled_samples",
            "Labelled predictions of each answering model version in the latest window.",
            ["monitor", "model_version"],
        )
        self.shadow = gauge(
            "loopml_monitor_shadow_performance",
            "Performance of each shadow model version on the same labelled rows.",
            ["monitor", "metric", "model_version"],
        )
        self.overall = gauge(
            "loopml_monitor_performance_overall",
            "Performance over every answered labelled prediction of the latest window.",
            ["monitor", "metric"],
        )
        self.overall_labelled = gauge(
            "loopml_monitor_labelled_samples_overall",
            "Labelled answered predictions in the latest window (all versions).",
            ["monitor"],
        )

    @property
    def families(self) -> list[GaugeMetricFamily]:
        return [self.performance, self.labelled, self.shadow, self.overall, self.overall_labelled]

    def add(self, result: WindowResult) -> None:
        name = result.monitor
        for group in result.detail.get("performance", []):
            metrics = {k: v for k, v in group["metrics"].items() if v is not None}
            if group["model_version"] is None:
                self.overall_labelled.add_metric([name], float(group["labelled"]))
                for metric, value in metrics.items():
                    self.overall.add_metric([name, metric], float(value))
                continue
            version = str(group["model_version"])
            if group.get("shadow"):
                for metric, value in metrics.items():
                    self.shadow.add_metric([name, metric, version], float(value))
                continue
            self.labelled.add_metric([name, version], float(group["labelled"]))
            for metric, value in metrics.items():
                self.performance.add_metric([name, metric, version], float(value))


def alert_families(rows: list[Any]) -> list[Metric]:
    """``loopml_monitor_alert_open``: 1 per open alert, labelled with rule and severity."""
    family = GaugeMetricFamily(
        "loopml_monitor_alert_open", "1 while an alert of the rule is open.",
        labels=["monitor", "rule", "severity"],
    )  # fmt: skip
    for row in rows:
        family.add_metric([row.monitor, row.rule, row.severity], 1.0)
    return [family]


def collector(store: Store) -> MonitoringCollector:
    """Return the monitoring collector for ``store`` (the registered factory)."""
    return MonitoringCollector(store)


def render(store: Store) -> bytes:
    """Return the monitoring gauges in the Prometheus text format."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(MonitoringCollector(store, ttl_s=0.0))
    return generate_latest(registry)

from __future__ import annotations

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families

from loopml import _registry
from loopml.client import METRICS_COLLECTORS
from loopml.monitoring import Monitor, prometheus
from tests.monitoring.conftest import T0, features, write_predictions


def _samples(text: str) -> dict[str, list]:
    out: dict[str, list] = {}
    for family in text_string_to_metric_families(text):
        out.setdefault(family.name, []).extend(family.samples)
    return out


def test_gauges_parse_and_carry_drift_performance_and_alerts(monitoring, store, log) -> None:
    monitoring.save(
        Monitor("churn", reference=features(2000, 1), rules=["drift.share > 0.3:critical"])
    )
    ids = write_predictions(log, features(400, 2, shift=1.0), T0)
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in ids])
    monitoring.run("churn", at=T0.replace(hour=13))
    samples = _samples(prometheus.render(store).decode())
    share = samples["loopml_monitor_drift_share"]
    assert share[0].labels == {"monitor": "churn"}
    assert share[0].value > 0.5
    drifted = {s.labels["column"]: s.value for s in samples["loopml_monitor_column_drifted"]}
    assert drifted == {"age": 1.0, "income": 0.0, "plan": 1.0}
    perf = {
        (s.labels["metric"], s.labels["model_version"]): s.value
        for s in samples["loopml_monitor_performance"]
    }
    assert ("accuracy", "all") not in perf  # no series double-counts the versions
    assert 0 < perf[("accuracy", "1")] < 1
    overall = {s.labels["metric"]: s.value for s in samples["loopml_monitor_performance_overall"]}
    assert 0 < overall["accuracy"] < 1
    statuses = {s.labels["status"]: s.value for s in samples["loopml_monitor_status"]}
    assert statuses == {"empty": 0.0, "error": 0.0, "ok": 1.0}
    alert = samples["loopml_monitor_alert_open"][0]
    assert alert.labels == {"monitor": "churn", "rule": "drift.share > 0.3", "severity": "critical"}
    assert samples["loopml_monitor_window_rows"][0].value == 400


def test_collector_is_registered_for_servers_and_caches(store, monitoring) -> None:
    # The client hands model servers this collector (serving never imports monitoring).
    factory = _registry.import_target(METRICS_COLLECTORS["monitoring"])
    collector = factory(store)
    registry = CollectorRegistry()
    registry.register(collector)
    before = generate_latest(registry).decode()
    assert "loopml_monitor_drift_share" in before
    monitoring.save(Monitor("m", reference=features(100, 1)))
    monitoring.run("m", at=T0, current=features(100, 2))
    assert generate_latest(registry).decode() == before  # cached within ttl
    collector.ttl_s = 0
    assert 'loopml_monitor_window_rows{monitor="m"} 100.0' in generate_latest(registry).decode()

"""Serving and monitoring meet in the store: served predictions, POST /feedback, a monitor
run over the prediction log, and the monitor's gauges on the model server's /metrics."""

from __future__ import annotations

import numpy as np
import pandas as pd
from prometheus_client.parser import text_string_to_metric_families

from loopml.client import METRICS_COLLECTORS
from loopml.monitoring import Monitor, Monitoring
from loopml.serving.server import ServeConfig, build
from loopml.store.events import EventLog
from tests.serving.conftest import COLUMNS, FakeSource, LiveServer, make_model


def test_served_traffic_is_monitored_and_exported_on_metrics(store, tmp_path) -> None:
    source = FakeSource(tmp_path / "unused")
    source.log, source.store = EventLog.from_store(store), store
    source.add(make_model(version=1), alias="champion")
    rng = np.random.default_rng(0)
    monitoring = Monitoring(store)
    reference = pd.DataFrame(rng.normal(size=(2000, len(COLUMNS))), columns=list(COLUMNS))
    monitoring.save(Monitor("churn", reference=reference, rules=["drift.share > 0.3:critical"]))
    config = ServeConfig(
        "churn@champion",
        poll_interval=0.05,
        flush_interval=0.1,
        collectors=METRICS_COLLECTORS,  # what the client hands a server it builds
    )
    with LiveServer(build(config, source)) as server:
        rows = rng.normal(1.5, 1.0, size=(300, len(COLUMNS)))  # every feature shifted
        reply = server.client.post("/predict", json={"instances": rows.tolist()})
        ids = reply.json()["prediction_ids"]
        labels = [{"prediction_id": i, "label": 1} for i in ids]
        assert server.client.post("/feedback", json={"feedback": labels}).status_code == 200
        server.built.predlog.flush()

        result = monitoring.run("churn")
        assert result.rows == 300
        assert result.labelled == 300
        assert sorted(result.drifted_columns) == sorted(COLUMNS)
        assert result.metrics["performance.accuracy"] > 0.9  # the model says 1 for shifted rows

        text = server.client.get("/metrics").text
    samples = {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }
    assert samples[("loopml_monitor_drift_share", (("monitor", "churn"),))] == 1.0
    alert = (("monitor", "churn"), ("rule", "drift.share > 0.3"), ("severity", "critical"))
    assert samples[("loopml_monitor_alert_open", alert)] == 1.0
    assert (
        samples[("loopml_monitor_labelled_samples", (("model_version", "1"), ("monitor", "churn")))]
        == 300
    )

from __future__ import annotations

import datetime as dt

import pytest

import loopml as lm
from loopml.store.events import EventLog
from tests.monitoring.conftest import T0, features, write_predictions


def test_the_lm_functions_cover_the_monitoring_loop(client: lm.Client) -> None:
    with lm.start_run("churn", capture=False) as run:
        run.log_table(features(2000, 1), "reference.parquet")
    monitor = lm.Monitor(
        "churn", reference=f"runs:/{run.id}/reference.parquet", window="1h",
        rules=[lm.Rule("drift.share > 0.3", severity="critical")],
    )  # fmt: skip
    info = lm.save_monitor(monitor)
    assert lm.get_monitor("churn") == info
    assert [m.name for m in lm.list_monitors()] == ["churn"]

    events = []
    subscription = lm.subscribe_alerts(events.append)
    try:
        log = EventLog.from_store(client.store)
        ids = write_predictions(log, features(500, 2, shift=1.0), T0)
        assert lm.log_feedback(ids[0], 1).written == 1
        assert (
            lm.log_feedback_batch([{"prediction_id": i, "label": 0} for i in ids[1:50]]).written
            == 49
        )
        result = lm.run_monitor("churn", at=T0 + dt.timedelta(hours=1))
    finally:
        subscription.cancel()
    assert result.labelled == 50
    assert [e.kind for e in events] == ["opened"]
    assert lm.list_alerts()[0].monitor == "churn"
    assert lm.alert_events()[0].id == events[0].id
    assert len(lm.monitor_results("churn")) == 1
    perf = lm.get_performance("churn")
    assert perf.loc[perf["model_version"].isna(), "labelled"].item() == 50
    lm.delete_monitor("churn")
    assert lm.list_monitors() == []


def test_ad_hoc_drift_and_quality_need_no_store() -> None:
    report = lm.detect_drift(features(3000, 1), features(3000, 2, shift=1.0))
    assert sorted(report.drifted) == ["age", "plan"]
    config = lm.DriftConfig(numeric_threshold=5.0)
    assert (
        "age"
        not in lm.detect_drift(features(3000, 1), features(3000, 2, shift=1.0), config).drifted
    )
    summary = lm.ReferenceSummary.fit(features(3000, 1))
    assert lm.detect_drift(summary, features(100, 3), columns=["age"]).tested == 1
    quality = lm.check_quality(features(100, 1), features(100, 2).drop(columns=["plan"]))
    assert quality.missing_columns == ("plan",)


def test_bad_run_reference_is_refused(client: lm.Client) -> None:
    with pytest.raises(lm.LoopmlError, match="runs:/<run_id>/<artifact path>"):
        lm.save_monitor(lm.Monitor("m", reference="runs:/only-an-id"))


def test_reference_from_a_dataset_version(client: lm.Client) -> None:
    version = lm.log_dataset(features(1500, 1), "customers")
    by_name = lm.save_monitor(lm.Monitor("a", reference="datasets:/customers"))
    by_object = lm.save_monitor(lm.Monitor("b", reference=version))
    assert by_name.reference_digest == by_object.reference_digest
    with client.store.db.read() as conn:
        edges = conn.exec_driver_sql(
            "select src_type, src_id, relation, dst_type from lineage_edges "
            "where src_type = 'monitor'"
        ).all()
    assert sorted(tuple(e) for e in edges) == [
        ("monitor", "a", "used", "dataset_version"),
        ("monitor", "b", "used", "dataset_version"),
    ]
    with pytest.raises(lm.LoopmlError, match="no dataset 'nope'"):
        lm.save_monitor(lm.Monitor("c", reference="datasets:/nope@1"))

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from loopml.errors import InvalidInput, NotFound
from loopml.monitoring import Monitor, Rule
from loopml.monitoring.jobs import monitor_jobs
from tests.monitoring.conftest import T0, features, write_predictions

HOUR = dt.timedelta(hours=1)


def _monitor(**options) -> Monitor:
    options.setdefault("reference", features(3000, 1))
    options.setdefault("rules", ["drift.share > 0.3:critical"])
    options.setdefault("window", "1h")
    return Monitor("churn", **options)


def test_save_get_list_and_delete(monitoring) -> None:
    info = monitoring.save(_monitor(schedule="*/5 * * * *"))
    assert info.deployment == "churn"
    assert info.schedule == "*/5 * * * *"
    assert info.rules[0].severity == "critical"
    assert [m.name for m in monitoring.list()] == ["churn"]
    summary = monitoring.reference("churn")
    assert summary.names == ["age", "income", "plan"]
    again = monitoring.save(_monitor())  # same reference: same stored summary
    assert again.reference_digest == info.reference_digest
    monitoring.delete("churn")
    with pytest.raises(NotFound, match="no monitor 'churn'"):
        monitoring.get("churn")


def test_drift_opens_one_alert_which_resolves_when_drift_clears(monitoring, log) -> None:
    monitoring.save(_monitor())
    write_predictions(log, features(600, 2, shift=1.0), T0, prefix="a")
    write_predictions(log, features(600, 3, shift=1.0), T0 + HOUR, prefix="b")
    write_predictions(log, features(600, 4), T0 + 2 * HOUR, prefix="c")
    first = monitoring.run("churn", at=T0 + HOUR)
    assert first.status == "ok"
    assert first.rows == 600
    assert sorted(first.drifted_columns) == ["age", "plan"]
    assert first.metrics["drift.share"] == pytest.approx(2 / 3)
    assert monitoring.run("churn", at=T0 + 2 * HOUR).drift_share == pytest.approx(2 / 3)
    open_alerts = monitoring.alerts("churn")
    assert len(open_alerts) == 1  # deduplicated while open
    assert open_alerts[0].severity == "critical"
    calm = monitoring.run("churn", at=T0 + 3 * HOUR)
    assert calm.drifted_columns == []
    assert monitoring.alerts("churn") == []
    resolved = monitoring.alerts("churn", status="resolved")
    assert len(resolved) == 1
    events = monitoring.alert_events()
    assert [e.kind for e in events] == ["opened", "resolved"]
    assert monitoring.alert_events(after=events[0].id)[0].kind == "resolved"


def test_results_are_a_time_series_and_rerunning_a_window_replaces_it(monitoring, log) -> None:
    monitoring.save(_monitor())
    for hour in range(3):
        write_predictions(log, features(100, hour), T0 + hour * HOUR, prefix=f"h{hour}-")
    for hour in range(1, 4):
        monitoring.run("churn", at=T0 + hour * HOUR)
    monitoring.run("churn", at=T0 + 3 * HOUR)
    results = monitoring.results("churn")
    assert [r.window_end for r in results] == [T0 + h * HOUR for h in range(1, 4)]
    frame = monitoring.results_frame("churn", since=T0 + 2 * HOUR)
    assert len(frame) == 2
    assert "drift.age.p_value" in frame.columns
    assert monitoring.prune("churn", older_than="1d") == 3  # T0 is long ago
    assert monitoring.results("churn") == []


def test_empty_window_is_a_result_not_a_crash(monitoring) -> None:
    monitoring.save(_monitor(rules=["quality.rows < 1:warning"]))
    result = monitoring.run("churn", at=T0)
    assert result.status == "empty"
    assert "no rows" in (result.message or "")
    assert monitoring.alerts("churn")[0].rule == "quality.rows < 1"


def test_missing_and_all_null_columns(monitoring, log) -> None:
    monitoring.save(_monitor(rules=["quality.missing_rate.* > 0.5"]))
    frame = features(200, 2).drop(columns=["income"]).assign(age=np.nan)
    write_predictions(log, frame, T0)
    result = monitoring.run("churn", at=T0 + HOUR)
    assert result.status == "ok"
    assert result.detail["missing_columns"] == ["income"]
    age = next(c for c in result.detail["drift"] if c["column"] == "age")
    assert not age["tested"]
    alert = monitoring.alerts("churn")[0]
    assert "quality.missing_rate.age" in alert.message
    assert "quality.missing_rate.income" in alert.message


def test_for_windows_debounces_alerts(monitoring, log) -> None:
    monitoring.save(_monitor(rules=[Rule("drift.share > 0.3", for_windows=2)]))
    for hour in range(3):
        write_predictions(log, features(400, hour, shift=1.0), T0 + hour * HOUR, prefix=f"h{hour}-")
    monitoring.run("churn", at=T0 + HOUR)
    assert monitoring.alerts("churn") == []
    monitoring.run("churn", at=T0 + 2 * HOUR)
    assert len(monitoring.alerts("churn")) == 1


def test_performance_rules_and_no_data(monitoring, log) -> None:
    monitoring.save(_monitor(rules=["performance.accuracy < 0.9"], task="classification"))
    ids = write_predictions(log, features(300, 2), T0)
    first = monitoring.run("churn", at=T0 + HOUR)
    assert first.outcomes[0]["state"] == "no_data"  # no labels yet
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in ids])
    second = monitoring.run("churn", at=T0 + HOUR)
    assert second.labelled == 300
    assert second.metrics["performance.v1.labelled"] == 300
    assert 0.3 < second.metrics["performance.accuracy"] < 0.7
    assert monitoring.alerts("churn")[0].rule == "performance.accuracy < 0.9"


def test_current_data_can_be_given_directly(monitoring) -> None:
    monitoring.save(_monitor())
    result = monitoring.run("churn", at=T0, current=features(500, 5, shift=1.0))
    assert sorted(result.drifted_columns) == ["age", "plan"]


def test_a_failing_window_is_stored_as_an_error(monitoring, log) -> None:
    monitoring.save(_monitor())
    result = monitoring.run("churn", at=T0, current=42)
    assert result.status == "error"
    assert "DataFrame" in (result.message or "")
    assert monitoring.results("churn")[0].status == "error"


def test_removed_rules_resolve_their_alerts(monitoring) -> None:
    monitoring.save(_monitor(rules=["quality.rows < 1"]))
    monitoring.run("churn", at=T0)
    assert len(monitoring.alerts("churn")) == 1
    monitoring.save(_monitor(rules=[]))
    assert monitoring.alerts("churn") == []
    assert "removed" in monitoring.alert_events()[-1].message


def test_run_due_follows_the_schedule_once_per_tick(monitoring, log) -> None:
    monitoring.save(_monitor(schedule="0 * * * *"))
    write_predictions(log, features(100, 1), T0)
    done = monitoring.run_due(T0 + HOUR + dt.timedelta(minutes=7))
    assert [r.window_end for r in done] == [T0 + HOUR]
    assert monitoring.run_due(T0 + HOUR + dt.timedelta(minutes=30)) == []
    monitoring.pause("churn")
    assert monitoring.run_due(T0 + 3 * HOUR) == []
    monitoring.resume("churn")
    assert len(monitoring.run_due(T0 + 3 * HOUR)) == 1
    assert monitoring.next_due(T0 + 3 * HOUR) == T0 + 4 * HOUR


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"window": "soon"}, "duration"),
        ({"window": "-1h"}, "positive"),
        ({"schedule": "every minute"}, "cron"),
        ({"rules": ["drift.share > 0.1", "drift.share > 0.1"]}, "unique"),
        ({"task": "ranking"}, "task"),
        ({"channels": [{"type": "pager"}]}, "channel"),
        ({"channels": [{"type": "webhook", "url": "ftp://x"}]}, "http"),
        ({"drift": {"alpha": 2}}, "alpha"),
    ],
)
def test_bad_monitor_definitions_are_refused(options, message) -> None:
    with pytest.raises(InvalidInput, match=message):
        _monitor(**options)


def test_bad_monitor_name_and_reference(monitoring) -> None:
    with pytest.raises(InvalidInput, match="monitor name"):
        Monitor("bad name!", reference=features(10, 1))
    with pytest.raises(InvalidInput, match="no such file"):
        monitoring.save(Monitor("m", reference="/nope.parquet"))
    with pytest.raises(InvalidInput, match="no column"):
        monitoring.save(Monitor("m", reference=features(10, 1), features=["nope"]))


def test_label_delay_scores_an_earlier_window(monitoring, log) -> None:
    monitoring.save(_monitor(rules=[], label_delay="1h"))
    early = write_predictions(log, features(100, 1), T0, prefix="early")
    write_predictions(log, features(40, 2), T0 + HOUR, prefix="late")
    monitoring.log_feedback_batch([{"prediction_id": i, "label": 1} for i in early])
    result = monitoring.run("churn", at=T0 + 2 * HOUR)
    assert result.rows == 40  # drift and quality: the current hour
    assert result.labelled == 100  # performance: the hour before, whose labels are in
    assert monitoring.get("churn").label_delay == HOUR
    with pytest.raises(InvalidInput, match="label_delay"):
        _monitor(label_delay="-1h")


def test_concurrent_runs_keep_one_open_alert(monitoring) -> None:
    import threading

    monitoring.save(_monitor(rules=["quality.rows < 1"]))
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(hour: int) -> None:
        try:
            barrier.wait()
            monitoring.run("churn", at=T0 + hour * HOUR)
        except BaseException as err:
            errors.append(err)

    threads = [threading.Thread(target=work, args=(h,)) for h in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(monitoring.alerts("churn")) == 1
    assert [e.kind for e in monitoring.alert_events()] == ["opened"]


def test_log_fields_are_not_unexpected_columns_but_prediction_drift_is_watched(
    monitoring, log
) -> None:
    reference = features(2000, 1).assign(prediction=np.r_[np.zeros(1000), np.ones(1000)])
    monitoring.save(_monitor(reference=reference, rules=[]))
    write_predictions(log, features(300, 2), T0)
    result = monitoring.run("churn", at=T0 + HOUR)
    assert result.metrics["quality.unexpected_columns"] == 0
    assert "drift.prediction.p_value" in result.metrics


def test_run_forever_evaluates_due_monitors_under_a_lease(monitoring, store) -> None:
    import threading
    import time

    from loopml.monitoring.schedule import LEASE
    from loopml.store import leases

    monitoring.save(_monitor(schedule="* * * * *", rules=["quality.rows < 1"]))
    stop = threading.Event()
    thread = threading.Thread(target=monitoring.run_forever, kwargs={"stop": stop, "poll_s": 0.05})
    thread.start()
    try:
        deadline = time.monotonic() + 20
        while not monitoring.results("churn") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert leases.holder_of(store.db, LEASE) is not None
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()
    assert monitoring.results("churn")[0].status == "empty"  # no traffic: evaluated, not crashed
    assert leases.holder_of(store.db, LEASE) is None  # released on stop


def test_monitors_are_a_source_of_scheduled_jobs(monitoring, store, log) -> None:
    monitoring.save(_monitor(schedule="0 * * * *"))
    write_predictions(log, features(100, 1), T0)
    source = monitor_jobs(store)
    now = T0 + HOUR + dt.timedelta(minutes=3)
    jobs = source.due(now)
    assert [(j.name, j.due_at) for j in jobs] == [("monitor:churn", T0 + HOUR)]
    assert jobs[0].run().rows == 100
    assert source.due(now) == []
    assert source.next_due(now) == T0 + 2 * HOUR


def test_references_by_digest_and_by_summary(monitoring) -> None:
    from loopml.monitoring import ReferenceSummary
    from loopml.monitoring.references import ReferenceNotFound

    first = monitoring.save(_monitor())
    by_digest = monitoring.save(Monitor("copy", reference=f"sha256:{first.reference_digest}"))
    assert by_digest.reference_digest == first.reference_digest
    summary = ReferenceSummary.fit(features(500, 3))
    fitted = monitoring.save(Monitor("fitted", reference=summary, features=["age"]))
    assert monitoring.reference("fitted").names == ["age"]
    assert fitted.reference_digest != first.reference_digest
    with pytest.raises(ReferenceNotFound, match="no stored reference summary"):
        monitoring.save(Monitor("ghost", reference="sha256:" + "0" * 64))


def test_windows_are_validated_against_a_data_schema(monitoring, log) -> None:
    from loopml.data import ColumnSchema, Schema

    schema = Schema(
        [
            ColumnSchema("age", "float", min=0, max=60),
            ColumnSchema("plan", allowed=("basic", "plus", "pro")),
        ]
    )
    monitoring.save(_monitor(schema=schema, rules=["quality.schema.failed_checks > 0"]))
    assert monitoring.get("churn").schema == schema.to_dict()
    write_predictions(log, features(300, 2, shift=1.0), T0)  # ages around 50: some above 60
    result = monitoring.run("churn", at=T0 + HOUR)
    assert result.metrics["quality.schema.passed"] == 0.0
    assert 0.05 < result.metrics["quality.schema.max.age"] < 0.3
    assert result.metrics["quality.schema.allowed_values.plan"] == 0.0
    assert result.detail["schema_failures"][0]["column"] == "age"
    assert monitoring.alerts("churn")[0].rule == "quality.schema.failed_checks > 0"
    with pytest.raises(InvalidInput):
        _monitor(schema={"columns": [{"nme": "x"}]})

"""The closed loop end to end: drift -> alert -> training set -> pipeline -> gates -> promotion."""

from __future__ import annotations

import loopml as lm
from tests.loop.conftest import MODEL, drifted_traffic, make_loop


def test_an_alert_retrains_gates_and_promotes_a_challenger(deployed_on_each_db) -> None:
    deployed = deployed_on_each_db
    client = deployed["client"]
    lm.apply_loop(make_loop())
    old_reference = client.monitors.get(MODEL).reference_digest
    drifted_traffic(deployed)
    result = client.monitors.run(MODEL)
    assert result.drift_share is not None
    assert result.drift_share > 0.3
    [alert] = lm.list_alerts(MODEL)

    run = client.loops.fire("churn-loop")

    assert run is not None
    assert run.status == "PROMOTED", run.error
    assert run.cause["trigger"] == "alert"
    assert run.cause["alert_id"] == alert.id
    assert run.cause["monitor_result_id"] is not None
    assert run.challenger_version == 2
    assert client.models.resolve_alias(MODEL, "champion") == 2
    change = lm.alias_history(MODEL, "champion")[-1]
    assert change.previous_version == 1
    assert "promoted by loop churn-loop" in (change.reason or "")
    [verdict] = lm.gate_verdicts(MODEL, 2)
    assert verdict.passed
    assert [r.gate for r in verdict.results] == [
        "signature",
        "beats_champion",
        "latency_p95",
    ]
    beats = verdict.results[1]
    assert beats.evidence["test"] == "mcnemar"
    assert beats.value > 0.05
    assert lm.get_model_version(MODEL, 2).tags["loopml.gates"] == "passed"
    # the training set is a dataset version with lineage to the prediction window
    data = client.datasets.get_version(run.dataset)
    assert data.metadata["deployment"] == MODEL
    assert data.num_rows >= 300
    # the monitor's reference now follows the champion's training set
    assert client.monitors.get(MODEL).reference_digest != old_reference
    kinds = [e.kind for e in client.loops.events("churn-loop", run_id=run.id)]
    assert kinds[0] == "fired"
    assert kinds[-1] == "promoted"
    assert "gates" in kinds
    assert "training" in kinds
    # the firing is consumed: nothing new fires the loop again
    assert client.loops.fire("churn-loop") is None

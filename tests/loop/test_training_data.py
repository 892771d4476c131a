"""The training-data helper: labelled predictions -> dataset versions with lineage."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

import loopml as lm
from loopml.errors import InvalidInput
from loopml.loop import NotEnoughLabels
from loopml.loop.demo import scenario
from loopml.store.events import EventLog
from loopml.store.streams import predictions_stream
from tests.loop.conftest import MODEL, drifted_traffic


def test_labelled_predictions_become_a_training_set_and_a_holdout(deployed) -> None:
    client = deployed["client"]
    drifted_traffic(deployed, n=400)
    base = client.datasets.log_dataset(scenario.rows(100, seed=11), "base")

    built = lm.build_training_data(
        MODEL, "retrain", lm.TrainingData(window="1h", holdout=0.25, base="base@latest",
                                          min_labels=100)
    )  # fmt: skip

    assert built.labelled == 400
    assert built.holdout.num_rows == 100
    assert built.train.num_rows == 300 + base.num_rows
    assert set(built.train.columns) == {*scenario.FEATURES, "label"}
    links = client.datasets.version_links(built.train)
    upstream = {(link.dst_type, link.dst_id.split("@")[0]) for link in links
                if link.relation == "derived_from"}  # fmt: skip
    assert ("prediction_window", MODEL) in upstream
    assert ("dataset_version", base.node_id) in upstream
    assert built.train.metadata["deployment"] == MODEL


def test_too_few_labelled_predictions_say_how_many(deployed) -> None:
    drifted_traffic(deployed, n=37)
    with pytest.raises(NotEnoughLabels, match="37 labels, need 200"):
        lm.build_training_data(MODEL, "retrain", {"window": "1h", "min_labels": 200})


def test_data_validation_gate_uses_the_datasets_schema(deployed) -> None:
    client = deployed["client"]
    frame = scenario.rows(300, seed=1)
    client.datasets.log_dataset(frame, "train")
    client.datasets.set_schema("train", lm.Schema.from_profile(lm.profile_data(frame)))
    bad = frame.assign(tenure=frame["tenure"] * 1000)
    version = client.datasets.log_dataset(bad, "train", validate=False)
    verdict = lm.run_gates(MODEL, 1, [lm.DataValidation()], training_data=version.ref, save=False)
    assert not verdict.passed
    assert "schema check(s) failed" in verdict.results[0].reason
    good = lm.run_gates(MODEL, 1, [lm.DataValidation()], training_data="train@1", save=False)
    assert good.passed, good.results[0].reason


def _activity(now: dt.datetime, customers: int) -> pd.DataFrame:
    """``score`` of each customer at 60, 40 and 20 minutes ago: ``100 * step + customer``."""
    rows = [
        {"customer_id": c, "ts": now - dt.timedelta(minutes=60 - 20 * step),
         "score": float(100 * step + c)}
        for step in range(3) for c in range(customers)
    ]  # fmt: skip
    return pd.DataFrame(rows)


def test_point_in_time_features_are_joined_as_of_each_prediction(deployed, tmp_path) -> None:
    client = deployed["client"]
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    customers = 5
    source = tmp_path / "activity.parquet"
    _activity(now, customers).to_parquet(source)
    customer = lm.Entity("customer_id", dtype="int64")
    view = lm.FeatureView("activity", customer, str(source), "ts", {"score": "float64"},
                          ttl="2h")  # fmt: skip
    client.features.apply([customer, view])
    # predictions at 50, 30 and 10 minutes ago: each sees the score written 10 minutes before
    frame = scenario.rows(60, seed=3)
    frame["customer_id"] = np.arange(60) % customers
    minutes = np.array([50, 30, 10])[np.arange(60) // 20]
    rows = [
        {"time": int((now - dt.timedelta(minutes=int(m))).timestamp() * 1000) + i,
         "prediction_id": f"pit{i}", "deployment": MODEL, "model_name": MODEL,
         "model_version": deployed["version"], "latency_ms": 1.0,
         "inputs": {**{k: float(r[k]) for k in scenario.FEATURES},
                    "customer_id": int(r["customer_id"])},
         "prediction": float(r["label"]), "score": None, "shadow": False}
        for i, (m, (_, r)) in enumerate(zip(minutes, frame.iterrows(), strict=True))
    ]  # fmt: skip
    EventLog.from_store(client.store).append(predictions_stream(MODEL), rows)
    client.monitors.log_feedback_batch(
        [{"prediction_id": f"pit{i}", "label": float(y)} for i, y in enumerate(frame["label"])],
        deployment=MODEL,
    )

    built = lm.build_training_data(
        MODEL, "retrain-pit",
        lm.TrainingData(window="2h", holdout=0.25, min_labels=50,
                        features=("activity:score",), entity="customer_id"),
    )  # fmt: skip

    train = client.datasets.load_dataset(built.train)
    holdout = client.datasets.load_dataset(built.holdout)
    both = pd.concat([train, holdout], ignore_index=True)
    assert len(both) == 60
    assert list(both.columns) == [*scenario.FEATURES, "customer_id", "score", "label"]
    step = {50: 0, 30: 1, 10: 2}
    expected = [100 * step[int(m)] + c for m, c in zip(minutes, frame["customer_id"], strict=True)]
    assert both["score"].tolist() == expected
    assert both["label"].tolist() == frame["label"].astype(float).tolist()


def test_point_in_time_features_need_an_entity_column() -> None:
    with pytest.raises(InvalidInput, match="need entity="):
        lm.TrainingData(features=("activity:score",))

"""The training-data helper: labelled predictions -> dataset versions with lineage."""

from __future__ import annotations

import pytest

import loopml as lm
from loopml.loop import NotEnoughLabels
from loopml.loop.demo import scenario
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

"""Gates on real registered models: raising gates, label counts, slices, latency, signature."""

from __future__ import annotations

import time

import pytest
from sklearn.dummy import DummyClassifier

import loopml as lm
from loopml.errors import InvalidInput
from loopml.loop.demo import scenario
from tests.loop.conftest import MODEL, register

FEATURES = list(scenario.FEATURES)


def raises(model) -> None:
    raise ValueError("this test itself is broken")


def monotone_in_tenure(model) -> None:
    low = scenario.rows(50, seed=4)[FEATURES]
    high = low.assign(tenure=low["tenure"] + 5)
    assert (model.predict(high) >= model.predict(low)).all(), "more tenure lowered a prediction"


@pytest.fixture
def two_versions(sqlite_client):
    before = scenario.rows(2000, seed=1)
    after = scenario.rows(2000, drifted=True, seed=2)
    champion = register(sqlite_client, scenario.fit(before), before[FEATURES], alias="champion")
    challenger = register(sqlite_client, scenario.fit(after), after[FEATURES])
    return sqlite_client, champion, challenger


def test_a_gate_that_raises_fails_with_its_traceback(two_versions) -> None:
    _, _, challenger = two_versions
    holdout = scenario.rows(300, drifted=True, seed=9)
    verdict = lm.run_gates(
        MODEL, challenger,
        [lm.BehaviouralTests([raises, monotone_in_tenure]), {"type": "signature"}],
        evaluation=holdout,
    )  # fmt: skip
    behaviour = verdict.results[0]
    assert not behaviour.passed
    assert behaviour.evidence["tests"][0]["passed"] is False
    assert "ValueError: this test itself is broken" in behaviour.evidence["tests"][0]["traceback"]
    assert behaviour.evidence["tests"][1]["passed"] is True
    assert verdict.results[1].passed


def test_a_gate_object_that_raises_is_a_failed_gate_with_traceback(two_versions) -> None:
    class Exploding:
        name = "exploding"

        def check(self, ctx):
            raise RuntimeError("kaboom")

        def to_dict(self):
            return {"type": "exploding"}

    _, _, challenger = two_versions
    verdict = lm.run_gates(MODEL, challenger, [Exploding()], save=False)
    [result] = verdict.results
    assert not result.passed
    assert "RuntimeError: kaboom" in (result.error or "")
    assert result.reason == "the gate raised RuntimeError: kaboom"


def test_too_few_labels_block_instead_of_passing(two_versions) -> None:
    _, _, challenger = two_versions
    holdout = scenario.rows(37, drifted=True, seed=9)
    verdict = lm.run_gates(MODEL, challenger, [lm.BeatsChampion(min_labels=200),
                                               lm.MetricFloor("accuracy", min=0.5)],
                           evaluation=holdout)  # fmt: skip
    assert [r.reason for r in verdict.results] == ["37 labels, need 200", "37 labels, need 200"]
    assert not verdict.passed


def test_beats_champion_floor_slices_and_latency_on_a_better_challenger(two_versions) -> None:
    _, champion, challenger = two_versions
    holdout = scenario.rows(600, drifted=True, seed=9)
    holdout["segment"] = ["a", "b", "c"] * 200
    verdict = lm.run_gates(
        MODEL, challenger,
        [lm.BeatsChampion(margin=0.1, min_labels=200), lm.MetricFloor("accuracy", min=0.9),
         lm.SliceFloor("segment", floor=0.85, min_rows=100), lm.LatencyBudget(p95_ms=500, calls=30),
         lm.CompatibleSignature()],
        evaluation=holdout.drop(columns=[]),
    )  # fmt: skip
    assert verdict.passed, verdict.summary()
    beats = verdict.results[0]
    assert beats.evidence["champion_version"] == champion
    assert beats.evidence["challenger_only"] > beats.evidence["champion_only"]
    assert {s["slice"] for s in verdict.results[2].evidence["slices"]} == {"a", "b", "c"}
    assert verdict.results[3].evidence["calls"] == 30
    stored = lm.gate_verdicts(MODEL, challenger)
    assert stored[0].id == verdict.id
    assert lm.get_model_version(MODEL, challenger).tags["loopml.gates"] == "passed"


def test_a_constant_model_fails_against_the_champion(two_versions) -> None:
    client, _, _ = two_versions
    sample = scenario.rows(100, seed=3)
    dummy = DummyClassifier(strategy="constant", constant=0).fit(sample[FEATURES], sample["label"])
    version = register(client, dummy, sample[FEATURES])
    verdict = lm.run_gates(MODEL, version, [lm.BeatsChampion(min_labels=100)],
                           evaluation=scenario.rows(400, seed=9))  # fmt: skip
    assert not verdict.passed
    assert verdict.results[0].value < 0


def test_evaluation_rows_without_labels_are_refused(two_versions) -> None:
    _, _, challenger = two_versions
    with pytest.raises(InvalidInput, match="no label column 'label'"):
        lm.run_gates(MODEL, challenger, [], evaluation=scenario.rows(5).drop(columns=["label"]))


def test_signature_changes_are_named(sqlite_client) -> None:
    frame = scenario.rows(300, seed=1)
    register(sqlite_client, scenario.fit(frame), frame[FEATURES], alias="champion")
    fewer = frame.drop(columns=["visits"])
    model = DummyClassifier().fit(fewer[["tenure", "spend"]], fewer["label"])
    version = register(sqlite_client, model, fewer[["tenure", "spend"]])
    verdict = lm.run_gates(MODEL, version, [lm.CompatibleSignature()], save=False)
    assert not verdict.passed
    assert "missing input 'visits'" in verdict.results[0].reason


def test_gate_specs_round_trip_and_bad_ones_are_refused() -> None:
    gates = lm.Loop("x", model="m").gate_list
    assert [g.to_dict()["type"] for g in gates] == ["signature", "beats_champion", "latency"]
    with pytest.raises(InvalidInput, match="needs min= or max="):
        lm.MetricFloor("accuracy")


class _StallingModel:
    """Answers in no time, except during the first timed round (a busy machine)."""

    def __init__(self, stall_calls: int) -> None:
        self.calls = 0
        self.stall_calls = stall_calls

    def predict(self, row):
        self.calls += 1
        if 5 < self.calls <= 5 + self.stall_calls:  # after the five warm-up calls
            time.sleep(0.02)
        return [0] * len(row)


class _Context:
    """The part of a gate context the latency gate reads."""

    def __init__(self, model) -> None:
        self.challenger = model
        self.load_fresh = lambda: model
        self.evaluation = scenario.rows(10, seed=1)

    def inputs(self):
        return self.evaluation[FEATURES]


def test_the_latency_gate_retimes_a_disturbed_round_but_fails_a_slow_model() -> None:
    gate = lm.LatencyBudget(p95_ms=10, calls=20)
    disturbed = gate.check(_Context(_StallingModel(stall_calls=20)))
    assert disturbed.passed, disturbed.reason
    assert len(disturbed.evidence["round_p95_ms"]) >= 2  # 3 if the machine is busy too
    assert disturbed.evidence["round_p95_ms"][0] > 10
    assert "rounds)" in disturbed.reason

    slow = gate.check(_Context(_StallingModel(stall_calls=10_000)))
    assert not slow.passed
    assert len(slow.evidence["round_p95_ms"]) == 3
    with pytest.raises(InvalidInput, match="rounds >= 1"):
        lm.LatencyBudget(rounds=0)

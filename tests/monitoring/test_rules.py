from __future__ import annotations

import pytest

from loopml.errors import InvalidInput
from loopml.monitoring import Rule
from loopml.monitoring.rules import confirmed


def test_rule_breached_ok_and_no_data() -> None:
    rule = Rule("performance.accuracy < 0.8")
    assert rule.evaluate({"performance.accuracy": 0.7}).breached
    assert rule.evaluate({"performance.accuracy": 0.9}).state == "ok"
    assert rule.evaluate({}).state == "no_data"
    assert rule.evaluate({"performance.accuracy": None}).state == "no_data"


def test_wildcards_report_every_matching_metric() -> None:
    rule = Rule("quality.missing_rate.* > 0.1", severity="critical")
    outcome = rule.evaluate(
        {
            "quality.missing_rate.a": 0.5,
            "quality.missing_rate.b": 0.2,
            "quality.missing_rate.c": 0.0,
        }
    )
    assert outcome.breached
    assert outcome.matches == ("quality.missing_rate.a", "quality.missing_rate.b")
    assert outcome.value == 0.5


def test_min_labelled_waits_for_enough_labels() -> None:
    rule = Rule("performance.accuracy < 0.8", min_labelled=100)
    assert (
        rule.evaluate({"performance.accuracy": 0.1, "performance.labelled": 20}).state == "no_data"
    )
    assert rule.evaluate({"performance.accuracy": 0.1, "performance.labelled": 200}).breached


@pytest.mark.parametrize("text", ["drift.share >> 0.3", "drift.share", "> 0.3", "drift share > x"])
def test_malformed_rules_are_refused(text) -> None:
    with pytest.raises(InvalidInput, match="cannot read rule"):
        Rule(text)


def test_rules_from_strings_and_mappings() -> None:
    rule = Rule.from_value("drift.share >= 0.5:critical")
    assert (rule.metric, rule.op, rule.threshold, rule.severity) == (
        "drift.share",
        ">=",
        0.5,
        "critical",
    )
    again = Rule.from_value(rule.to_dict())
    assert again == rule
    with pytest.raises(InvalidInput, match="severity"):
        Rule("drift.share > 0.1", severity="fatal")  # type: ignore[arg-type]
    with pytest.raises(InvalidInput, match="for_windows"):
        Rule("drift.share > 0.1", for_windows=0)


def test_confirmed_needs_consecutive_breaches() -> None:
    assert confirmed([True], 1)
    assert not confirmed([True], 2)
    assert confirmed([False, True, True], 2)
    assert not confirmed([True, False, True], 2)


def test_column_names_with_spaces_and_dots() -> None:
    rule = Rule("drift.mean radius.drifted == 1")
    assert rule.metric == "drift.mean radius.drifted"
    assert rule.evaluate({"drift.mean radius.drifted": 1.0}).breached
    assert Rule("quality.missing_rate.a.b > 1e-3").threshold == 0.001

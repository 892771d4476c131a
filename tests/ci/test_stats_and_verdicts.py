"""Pure cores of model CI: paired tests, verdicts, reports."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
from hypothesis import given, strategies as st

from loopml.ci import GateResult, Verdict, junit_xml, markdown, mcnemar, paired_bootstrap
from loopml.ci.verdicts import too_few_labels


def test_mcnemar_counts_discordant_rows_and_is_significant_for_a_clear_win() -> None:
    champion = np.array([True] * 60 + [False] * 40)
    challenger = np.array([True] * 95 + [False] * 5)
    result = mcnemar(champion, challenger, margin=0.0)
    assert (result.champion_only, result.challenger_only) == (0, 35)
    assert result.difference == 0.35
    assert result.p_value < 1e-9
    assert result.beats(0.05)


def test_mcnemar_margin_requires_more_than_the_margin() -> None:
    champion = np.array([True] * 90 + [False] * 10)
    challenger = np.array([True] * 92 + [False] * 8)
    assert not mcnemar(champion, challenger, margin=0.05).beats(1.0)
    assert mcnemar(champion, challenger, margin=-0.05).not_worse(0.05)


@given(st.lists(st.booleans(), min_size=1, max_size=200))
def test_identical_classifiers_never_beat_each_other(correct: list[bool]) -> None:
    result = mcnemar(correct, correct)
    assert result.p_value == 1.0
    assert result.difference == 0.0
    assert not result.beats(0.05)


def test_paired_bootstrap_sees_a_lower_error() -> None:
    rng = np.random.default_rng(0)
    old = rng.normal(0, 1.0, 500)
    new = old * 0.5
    result = paired_bootstrap(old, new, margin=0.1)
    assert result.difference > 0.3
    assert result.ci_low is not None
    assert result.ci_low > 0.1
    assert result.beats(0.05)
    assert not paired_bootstrap(new, old, margin=0.0).beats(0.05)


def test_too_few_labels_names_both_counts() -> None:
    assert too_few_labels(37, 200) == "37 labels, need 200"
    assert too_few_labels(200, 200) is None


def _verdict() -> Verdict:
    return Verdict(
        "churn", 4,
        (
            GateResult("signature", True, 0.0, 0.0, {}, "signatures are compatible"),
            GateResult("beats_champion", False, -0.01, 0.0, {"n": 300}, "challenger is worse"),
            GateResult("behaviour", False, reason="the gate raised ValueError: boom",
                       error="Traceback...\nValueError: boom"),
        ),
        context={"champion_version": 3, "labelled": 300},
    )  # fmt: skip


def test_a_verdict_passes_only_when_every_gate_passed() -> None:
    verdict = _verdict()
    assert not verdict.passed
    assert [r.gate for r in verdict.failed] == ["beats_champion", "behaviour"]
    assert "2 of 3 gates failed" in verdict.summary()
    assert Verdict("churn", 1, ()).passed
    assert GateResult.from_dict(verdict.results[1].to_dict()) == verdict.results[1]


def test_junit_report_has_a_case_per_gate_with_failures_and_errors() -> None:
    suite = ET.fromstring(junit_xml(_verdict()).split("\n", 1)[1])
    assert suite.tag == "testsuite"
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("3", "1", "1")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["signature"].find("failure") is None
    assert cases["beats_champion"].find("failure").get("message") == "challenger is worse"
    assert "ValueError: boom" in cases["behaviour"].find("error").text


def test_markdown_report_is_a_table_with_details_of_failures() -> None:
    text = markdown(_verdict())
    assert text.startswith("## loopml gates: churn v4 FAILED")
    assert "| beats_champion | fail | -0.01 | 0 | challenger is worse |" in text
    assert "| behaviour | error |" in text
    assert "<details><summary>behaviour</summary>" in text
    assert "Champion: v3; labelled rows: 300" in text

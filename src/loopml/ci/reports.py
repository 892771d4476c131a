"""Verdict reports: JUnit XML for CI systems and Markdown for a pull-request comment."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING
from xml.etree import ElementTree as ET

if TYPE_CHECKING:
    from loopml.ci.verdicts import GateResult, Verdict


def _fmt(value: float | str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def junit_xml(verdict: Verdict) -> str:
    """One ``<testsuite>`` with a ``<testcase>`` per gate (failure or error when it failed)."""
    suite = ET.Element(
        "testsuite",
        name=f"loopml-gates.{verdict.model}",
        tests=str(len(verdict.results)),
        failures=str(sum(1 for r in verdict.failed if r.error is None)),
        errors=str(sum(1 for r in verdict.failed if r.error is not None)),
        time=f"{sum(r.seconds for r in verdict.results):.3f}",
    )
    for result in verdict.results:
        case = ET.SubElement(
            suite, "testcase", classname=f"{verdict.model}.v{verdict.version}",
            name=result.gate, time=f"{result.seconds:.3f}",
        )  # fmt: skip
        if result.error is not None:
            node = ET.SubElement(case, "error", message=result.reason)
            node.text = result.error
        elif not result.passed:
            node = ET.SubElement(case, "failure", message=result.reason)
            node.text = json.dumps(result.evidence, indent=2, default=str)
        out = ET.SubElement(case, "system-out")
        out.text = f"value={_fmt(result.value)} threshold={_fmt(result.threshold)}: {result.reason}"
    ET.indent(suite)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(suite, encoding="unicode")


def markdown(verdict: Verdict) -> str:
    """A Markdown summary: the outcome, a table of gates, and the failures' details."""
    mark = "passed" if verdict.passed else "FAILED"
    champion = verdict.context.get("champion_version")
    lines = [
        f"## loopml gates: {verdict.model} v{verdict.version} {mark}",
        "",
        f"{verdict.summary()}. Champion: "
        f"{'v' + str(champion) if champion is not None else 'none'}; labelled rows: "
        f"{verdict.context.get('labelled', 0)}.",
        "",
        "| gate | result | value | threshold | reason |",
        "|---|---|---|---|---|",
    ]
    lines += [_row(r) for r in verdict.results]
    for result in verdict.failed:
        lines += ["", f"<details><summary>{result.gate}</summary>", "", "```"]
        lines.append(result.error or json.dumps(result.evidence, indent=2, default=str))
        lines += ["```", "</details>"]
    return "\n".join(lines) + "\n"


def _row(result: GateResult) -> str:
    status = "pass" if result.passed else ("error" if result.error else "fail")
    reason = result.reason.replace("|", "\\|")
    return (
        f"| {result.gate} | {status} | {_fmt(result.value)} | {_fmt(result.threshold)} | {reason} |"
    )

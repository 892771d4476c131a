"""``loopml status``: what is stale (pipelines, monitors, deployments, open alerts)."""

from __future__ import annotations

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json, print_table


def status(as_json: bool = JSON_OPTION) -> None:
    """Show what is stale and what to do about it.

    Pipelines whose code or data changed since their last run, overdue monitors,
    deployments not serving their champion, and open alerts.

    Example: loopml status --json
    """
    report = lm.status()
    if as_json:
        print_json(report.to_dict())
        return
    if report.is_clean:
        console.print("nothing is stale")
        return
    print_table(
        f"{len(report.items)} stale item(s)",
        ["kind", "name", "why", "what to do"],
        [(i.kind, i.name, i.reason, i.action) for i in report.items],
    )

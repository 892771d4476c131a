"""``loopml demo``: the closed loop end to end, narrated, with a summary table."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import console, err_console, print_json, print_table


def demo(
    as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON only."),
    rate: float = typer.Option(25.0, "--rate", help="Client requests per second (20 rows each)."),
) -> None:
    """Deploy a champion, inject drift, and watch the loop retrain, gate, canary and swap.

    Then a bad challenger is blocked by the gates and a slow one is rolled back by its
    canary. Runs on the configured store (embedded by default); re-runnable.

    Example: loopml demo --json
    """
    out = err_console if as_json else console
    current = {"stage": ""}

    def narrate(stage: str, text: str) -> None:
        if stage != current["stage"]:
            current["stage"] = stage
            if stage:
                out.rule(f"[bold cyan]{stage}")
        if text:
            out.print(f"  {text}", highlight=False)

    with out.status("loopml demo running", spinner="dots"):
        summary = lm.run_demo(on_line=narrate, rate_hz=rate)
    if as_json:
        print_json(summary.to_dict())
        raise typer.Exit(1 if summary.error else 0)
    print_table("stages", ["stage", "seconds"], [(s["name"], s["seconds"]) for s in summary.stages])
    rows = [
        ("requests sent", summary.requests), ("failed requests", summary.failed_requests),
        ("quality before drift (accuracy %)", summary.quality_before),
        ("quality during drift", summary.quality_during),
        ("quality after promotion", summary.quality_after),
        ("drift -> detection (s)", summary.detection_s),
        ("drift -> validated challenger (s)", summary.validated_s),
        ("drift -> serving (s)", summary.serving_s),
        ("promotions", summary.promotions), ("rollbacks", summary.rollbacks),
        ("blocked challengers", summary.blocked_challengers),
    ]  # fmt: skip
    print_table("summary", ["", "value"], rows)
    console.print("where to look next:")
    for line in summary.look_next:
        console.print(f"  {line}")
    if summary.error:
        err_console.print(f"[bold red]the demo stopped early:[/] {summary.error}")
        raise typer.Exit(1)

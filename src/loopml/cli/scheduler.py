"""``loopml scheduler``: run scheduled pipelines, monitors and triggered runs (singleton)."""

from __future__ import annotations

import logging
import os

import typer

import loopml as lm
from loopml.cli._output import console


def scheduler(
    load: list[str] = typer.Option(
        None, "--load", "-l", help="Register pipelines from module:name or file.py first."
    ),
    source: list[str] = typer.Option(
        None, "--source", help="Only these job sources (default: all, e.g. pipelines, monitors)."
    ),
    once: bool = typer.Option(False, "--once", help="Run one pass (due jobs), wait, and exit."),
    poll: float = typer.Option(5.0, "--poll", help="Longest seconds between passes."),
    lease_ttl: float = typer.Option(30.0, "--lease-ttl", help="Seconds the leader lease lasts."),
) -> None:
    """Run due scheduled work until interrupted; only one scheduler acts at a time.

    Several schedulers may run for availability: a database lease elects the one that acts,
    and each tick is claimed once, so no tick ever runs twice.

    Example: loopml scheduler --load pipelines.py --poll 10
    """
    if "LOOPML_LOG_LEVEL" not in os.environ:  # a long-running service says what it does
        logging.getLogger("loopml").setLevel(logging.INFO)
    client = lm.get_client()
    for target in load or []:
        info = client.pipelines.register(target)
        console.print(f"registered {info.name}: schedule {info.schedule or 'none'}")
    runner = client.scheduler(sources=source or None, poll_interval=poll, lease_ttl=lease_ttl)
    console.print(f"scheduler {runner.holder}: sources {sorted(runner.sources)}")
    if once:
        futures = runner.tick(wait=True)
        runner.close()
        for future in futures:
            outcome = future.result()
            console.print(f"{outcome.job} @ {outcome.due_at.isoformat()}: {outcome.status}")
        return
    try:
        runner.run_forever()
    except KeyboardInterrupt:
        runner.stop()

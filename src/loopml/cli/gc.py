"""``loopml gc``: delete unreferenced blobs and apply the retention policy."""

from __future__ import annotations

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, print_json


def gc(
    dry_run: bool = typer.Option(False, "--dry-run", help="Report only; delete nothing."),
    grace: str = typer.Option(
        "24h", "--grace", help="Keep unreferenced blobs younger than this (e.g. 1h, 7d)."
    ),
    retention: bool = typer.Option(
        True, "--retention/--no-retention", help="Also apply loopml.yaml's retention policy."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete blobs nothing references and records past the retention policy.

    Example: loopml gc --dry-run --grace 1h
    """
    from rich.progress import BarColumn, Progress, TextColumn

    columns = [
        TextColumn("checking blobs"),
        BarColumn(),
        TextColumn("{task.completed}/{task.total}"),
    ]
    with Progress(*columns, console=console, transient=True, disable=as_json) as bar:
        task = bar.add_task("gc", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        report = lm.collect_garbage(grace=grace, dry_run=dry_run, progress=advance)
    kept = lm.apply_retention(dry_run=dry_run) if retention else None
    if as_json:
        body = {
            "dry_run": dry_run,
            "blobs": {
                "scanned": report.scanned,
                "referenced": report.referenced,
                "kept_young": report.young,
                "deleted": len(report.deleted),
                "freed_bytes": report.freed_bytes,
                "digests": report.deleted,
            },
        }
        if kept is not None:
            body["retention"] = {
                "files": kept.files,
                "freed_bytes": kept.freed_bytes,
                "monitor_results": kept.monitor_results,
            }
        print_json(body)
        return
    verb = "would free" if dry_run else "freed"
    console.print(
        f"blobs: {report.scanned} stored, {report.referenced} referenced, {report.young} "
        f"unreferenced but younger than {grace}; {verb} {len(report.deleted)} "
        f"({report.freed_bytes:,} bytes)"
    )
    if kept is not None:
        console.print(
            f"retention: {verb} {sum(kept.files.values())} stream files "
            f"({kept.freed_bytes:,} bytes) and {kept.monitor_results} monitor results"
        )

"""``loopml loop``: declare, inspect, fire and pause closed loops; ``loopml rollback``."""

from __future__ import annotations

from pathlib import Path

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, format_ms, print_json, print_table

app = typer.Typer(help="Closed loops: retrain on drift or decay, gate, canary, promote.")


@app.command("apply")
def apply(
    path: Path = typer.Argument(Path("loopml.yaml"), help="A loopml.yaml with a loops: list."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Store (or update) every loop of a loopml.yaml.

    Example: loopml loop apply loopml.yaml
    """
    infos = lm.get_client().loops.apply_file(path)
    if as_json:
        print_json({"loops": [i.to_dict() for i in infos]})
        return
    for info in infos:
        console.print(f"applied loop [bold]{info.name}[/] on {info.loop.model}@{info.loop.alias}")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List loops with their latest run.

    Example: loopml loop list --json
    """
    infos = lm.list_loops()
    latest = {i.name: next(iter(lm.loop_runs(i.name, 1)), None) for i in infos}
    if as_json:
        print_json({"loops": [{**i.to_dict(), "latest_run": latest[i.name]} for i in infos]})
        return
    rows = []
    for info in infos:
        run = latest[info.name]
        triggers = ", ".join(t.type for t in info.loop.trigger_list) or "manual"
        rows.append((info.name, f"{info.loop.model}@{info.loop.alias}", triggers,
                     "paused" if info.paused else "active",
                     f"{run.status} {format_ms(run.created_at)}" if run else "-"))  # fmt: skip
    print_table("loops", ["loop", "serves", "triggers", "state", "latest run"], rows)


@app.command("show")
def show(
    name: str,
    runs: int = typer.Option(10, "--runs", help="How many recent runs to show."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a loop: its definition, recent runs (with causes) and events.

    Example: loopml loop show churn
    """
    info = lm.get_loop(name)
    recent = lm.loop_runs(name, runs)
    events = lm.get_client().loops.events(name, limit=30)
    if as_json:
        print_json({"loop": info.to_dict(), "runs": recent, "events": events})
        return
    spec = info.loop
    attributes = [
        ("serves", f"{spec.model}@{spec.alias} (deployment {spec.deployment})"),
        ("pipeline", spec.pipeline), ("monitor", spec.monitor),
        ("triggers", ", ".join(str(t.to_dict()) for t in spec.trigger_list) or "manual"),
        ("gates", ", ".join(g.name for g in spec.gate_list)),
        ("rollout", f"canary {spec.policy.canary_percent:g}%" if spec.policy.has_canary
         else "promote at once"),
        ("state", "paused" if info.paused else "active"),
    ]  # fmt: skip
    print_table(f"loop {name}", ["attribute", "value"], attributes)
    rows = [
        (r.id[:12], r.status, r.cause.get("trigger"), format_ms(r.created_at),
         r.challenger_version, r.error.splitlines()[-1][:80] if r.error else "")
        for r in recent
    ]  # fmt: skip
    print_table("runs", ["run", "status", "cause", "started", "challenger", "error"], rows)
    print_table("events", ["at", "kind", "message"],
                [(format_ms(e.at), e.kind, e.message) for e in events])  # fmt: skip


@app.command("trigger")
def trigger(
    name: str,
    reason: str = typer.Option(None, "--reason", "-r", help="Why (stored as the cause)."),
    queue: bool = typer.Option(False, "--queue", help="Queue it for `loopml scheduler`."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Fire a loop by hand and run it here (or queue it for the scheduler).

    Example: loopml loop trigger churn --reason "labels backfilled"
    """
    if queue or as_json:
        run = lm.trigger_loop(name, reason, wait=not queue)
    else:
        with console.status(f"loop {name}: running"):
            run = lm.get_client().loops.trigger(
                name, reason, on_event=lambda kind, msg, _: console.print(f"  {kind}: {msg}")
            )
    if as_json:
        print_json(run)
        return
    console.print(f"loop run {run.id[:12]}: [bold]{run.status}[/]")
    if run.error:
        console.print(run.error.strip().splitlines()[-1])


@app.command("pause")
def pause(name: str) -> None:
    """Stop a loop from firing (a run in flight finishes).

    Example: loopml loop pause churn
    """
    lm.pause_loop(name)
    console.print(f"loop {name} paused")


@app.command("resume")
def resume(name: str) -> None:
    """Let a paused loop fire again.

    Example: loopml loop resume churn
    """
    lm.resume_loop(name)
    console.print(f"loop {name} resumed")


def rollback(
    model: str,
    alias: str = typer.Option("champion", "--alias", help="The alias to move back."),
    to: int = typer.Option(None, "--to", help="The version to return to (default: previous)."),
    reason: str = typer.Option(None, "--reason", "-r", help="Why (kept in the alias history)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Move a model's champion back to its previous version; servers hot-swap at once.

    Example: loopml rollback churn --reason "complaints about v7"
    """
    change = lm.rollback(model, alias, reason=reason, to=to)
    if as_json:
        print_json(change.to_dict())
        return
    console.print(
        f"{model}@{alias}: version {change.previous_version} -> {change.version} ({change.reason})"
    )

"""``loopml pipelines``: run, inspect, resume, explain, graph, cancel and trigger pipelines."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, format_ms, print_json, print_table

if TYPE_CHECKING:
    from rich.progress import Progress

app = typer.Typer(help="Run and inspect pipelines.", no_args_is_help=True)

PARAM_OPTION = typer.Option(
    None, "--param", "-p", help="Parameter as NAME=VALUE (VALUE parsed as JSON if it can be)."
)
EXECUTOR_OPTION = typer.Option(
    None, "--executor", "-x", help="local, threads[:N], process[:N], dask://host:8786 or dask."
)


def _params(items: list[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for item in items or []:
        name, sep, text = item.partition("=")
        if not sep or not name.strip():
            raise typer.BadParameter(f"{item!r} is not NAME=VALUE", param_hint="--param")
        try:
            params[name.strip()] = json.loads(text)
        except json.JSONDecodeError:
            params[name.strip()] = text
    return params


def _short(text: str | None, width: int = 60) -> str:
    if not text:
        return "-"
    line = text.strip().splitlines()[-1]
    return line if len(line) <= width else line[: width - 3] + "..."


def _print_run(info: Any) -> None:
    console.print(
        f"[bold]pipeline run {info.id}[/] of [cyan]{info.pipeline}[/]: [bold]{info.status}[/] "
        f"({info.duration_s if info.duration_s is not None else '-'} s, executor {info.executor}, "
        f"trigger {info.trigger})"
    )
    if info.params:
        console.print(f"params: {json.dumps(info.params)}", highlight=False)
    rows = [
        (
            s.name,
            s.status,
            s.attempt,
            s.duration_s,
            (s.cached_from or "")[:12] or "-",
            (s.run_id or "")[:12] or "-",
            _short(s.error),
        )
        for s in info.steps
    ]
    print_table(None, ["step", "status", "attempt", "seconds", "cached from", "run", "error"], rows)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List registered pipelines with their schedule and latest run.

    Example: loopml pipelines list --json
    """
    api = lm.get_client().pipelines
    pipelines = api.list_pipelines()
    latest: dict[str, Any] = {}
    for p in pipelines:
        recent = api.list_runs(p.name, limit=1)
        latest[p.name] = recent[0] if recent else None
    if as_json:
        print_json([{"pipeline": p, "latest_run": latest[p.name]} for p in pipelines])
        return
    rows = [
        (
            p.name,
            p.target or "-",
            p.schedule or "-",
            latest[p.name].status if latest[p.name] else "-",
            format_ms(latest[p.name].created_at) if latest[p.name] else "-",
        )
        for p in pipelines
    ]
    print_table(f"{len(rows)} pipeline(s)", ["name", "target", "schedule", "last run", "at"], rows)


@app.command("runs")
def runs(
    pipeline: str = typer.Argument(None, help="Only runs of this pipeline."),
    status: str = typer.Option(None, "--status", "-s", help="Only runs with this status."),
    limit: int = typer.Option(20, "--limit", "-n", help="How many runs."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List pipeline runs, newest first.

    Example: loopml pipelines runs training --status FAILED --json
    """
    found = lm.list_pipeline_runs(pipeline, status, limit)
    if as_json:
        print_json(found)
        return
    rows = [
        (r.id[:12], r.pipeline, r.status, r.trigger, format_ms(r.created_at), r.duration_s)
        for r in found
    ]
    print_table(
        f"{len(rows)} run(s)",
        ["run id", "pipeline", "status", "trigger", "created", "seconds"],
        rows,
    )


@app.command("run")
def run(
    target: str = typer.Argument(..., help="module:pipeline, path/file.py[:pipeline] or a name."),
    param: list[str] = PARAM_OPTION,
    executor: str = EXECUTOR_OPTION,
    no_cache: bool = typer.Option(False, "--no-cache", help="Run every step again."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Run a pipeline now, showing progress; exits 1 if it fails.

    Example: loopml pipelines run flows.py:training -p lr=0.05 --executor process --no-cache
    """
    api = lm.get_client().pipelines
    options: dict[str, Any] = {"executor": executor, "raise_on_error": False}
    if no_cache:
        options["cache"] = False
    if as_json:
        result = api.run(target, _params(param), **options)
        print_json(result.info)
    else:
        with _progress() as progress:
            task = progress.add_task("starting", total=None)

            def on_event(event: Any) -> None:
                label = f"{event.step} {event.status}" if event.step else event.kind
                progress.update(task, total=event.total, completed=event.done, description=label)

            result = api.run(target, _params(param), on_event=on_event, **options)
        _print_run(result.info)
    if result.status != "SUCCEEDED":
        raise typer.Exit(1)


def _progress() -> Progress:
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
    )

    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


@app.command("show")
def show(run_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show a pipeline run and its steps (status, attempts, timings, cache, errors).

    Example: loopml pipelines show 3f2a9c1b --json
    """
    info = lm.get_pipeline_run(run_id)
    if as_json:
        print_json(info)
        return
    _print_run(info)
    failed = [s for s in info.steps if s.status == "FAILED"]
    for step in failed:
        console.print(f"\n[bold red]{step.name}[/] failed:\n{step.error}", highlight=False)


@app.command("resume")
def resume(
    run_id: str,
    executor: str = EXECUTOR_OPTION,
    as_json: bool = JSON_OPTION,
) -> None:
    """Resume a failed or cancelled run: succeeded steps are reused, the rest run again.

    Example: loopml pipelines resume 3f2a9c1b
    """
    result = lm.get_client().pipelines.resume(run_id, executor=executor, raise_on_error=False)
    if as_json:
        print_json(result.info)
    else:
        _print_run(result.info)
    if result.status != "SUCCEEDED":
        raise typer.Exit(1)


@app.command("explain")
def explain(run_id: str, step: str, as_json: bool = JSON_OPTION) -> None:
    """Explain why a step was served from the cache or ran, and what changed.

    Example: loopml pipelines explain 3f2a9c1b "train[2]"
    """
    found = lm.get_client().pipelines.explain(run_id, step)
    if as_json:
        print_json(found)
        return
    console.print(str(found), highlight=False)


@app.command("graph")
def graph(
    target: str = typer.Argument(..., help="A pipeline run id, or a pipeline target or name."),
    mermaid: bool = typer.Option(False, "--mermaid", help="Print a Mermaid flowchart."),
) -> None:
    """Print the DAG of a run (with statuses) or of a definition, as text or Mermaid.

    Example: loopml pipelines graph flows.py:training --mermaid
    """
    text = lm.get_client().pipelines.graph(target, "mermaid" if mermaid else "text")
    typer.echo(text)


@app.command("logs")
def logs(run_id: str, step: str) -> None:
    """Print what a step printed and logged.

    Example: loopml pipelines logs 3f2a9c1b train
    """
    typer.echo(lm.get_client().pipelines.logs(run_id, step), nl=False)


@app.command("cancel")
def cancel(
    run_id: str,
    force: bool = typer.Option(
        False, "--force", help="Mark a run whose driver died CANCELLED now (then resume it)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Ask a running or queued run to stop.

    Example: loopml pipelines cancel 3f2a9c1b --force
    """
    info = lm.cancel_pipeline_run(run_id, force=force)
    if as_json:
        print_json(info)
        return
    console.print(f"cancel requested for {info.id} ({info.status})")


@app.command("trigger")
def trigger(
    name: str = typer.Argument(..., help="A registered pipeline name."),
    param: list[str] = PARAM_OPTION,
    reason: str = typer.Option(None, "--reason", help="Why (stored with the run)."),
    wait: bool = typer.Option(False, "--wait", help="Run here and wait instead of queueing."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Queue a run of a registered pipeline for the scheduler (or run it with --wait).

    Example: loopml pipelines trigger training -p lr=0.01 --reason "new data"
    """
    info = lm.trigger_pipeline(name, _params(param), wait=wait, reason=reason, source="cli")
    if as_json:
        print_json(info)
        return
    console.print(f"pipeline run {info.id} of {info.pipeline}: {info.status}")


@app.command("register")
def register(target: str, as_json: bool = JSON_OPTION) -> None:
    """Register a pipeline (and its schedule) so the scheduler and triggers find it.

    Example: loopml pipelines register myproject.pipelines:training
    """
    info = lm.register_pipeline(target)
    if as_json:
        print_json(info)
        return
    console.print(f"registered {info.name} ({info.target}); schedule: {info.schedule or 'none'}")

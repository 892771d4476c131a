"""``loopml monitor``: create and run monitors, read results and alerts, reports, feedback."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Literal, cast

import typer

import loopml as lm
from loopml._utils.clock import parse_duration
from loopml.cli._output import JSON_OPTION, console, print_json, print_table

app = typer.Typer(
    help="Drift, data quality and performance monitors; alerts; reports.", no_args_is_help=True
)


def _when(text: str | None) -> dt.datetime | None:
    if text is None:
        return None
    moment = dt.datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


@app.command("create")
def create(
    name: str,
    reference: str = typer.Option(
        ..., "--reference", "-r", help="Parquet/CSV file or runs:/<id>/<path>."
    ),
    deployment: str | None = typer.Option(
        None, "--deployment", "-d", help="Prediction log (default: NAME)."
    ),
    feature: list[str] = typer.Option(None, "--feature", "-f", help="Column to monitor (repeat)."),
    categorical: list[str] = typer.Option(
        None, "--categorical", help="Treat as categorical (repeat)."
    ),
    window: str = typer.Option("1h", "--window", "-w", help="Window length, e.g. 1h, 30m, 1d."),
    schedule: str | None = typer.Option(
        None, "--schedule", "-s", help="Cron expression (default: every window)."
    ),
    rule: list[str] = typer.Option(None, "--rule", help="'metric op value[:severity]' (repeat)."),
    webhook: list[str] = typer.Option(None, "--webhook", help="POST alerts to this URL (repeat)."),
    task: str | None = typer.Option(
        None, "--task", help="classification or regression (default: inferred)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create or replace a monitor; the reference is summarised once and stored.

    Example: loopml monitor create churn -r train.parquet -w 1h --rule "drift.share > 0.3:critical"
    """
    monitor = lm.Monitor(
        name, reference=reference, deployment=deployment, features=feature or None,
        categorical=categorical or (), window=window, schedule=schedule, rules=rule or (),
        task=task, channels=["log", *(webhook or [])],
    )  # fmt: skip
    info = lm.save_monitor(monitor)
    if as_json:
        print_json(info)
        return
    console.print(f"saved monitor [bold]{info.name}[/] (reference {info.reference_digest[:12]})")


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List monitors with their latest window.

    Example: loopml monitor list --json
    """
    monitors = lm.list_monitors()
    latest = {r.monitor: r for r in lm.get_client().monitors.latest_results()}
    if as_json:
        print_json([{"monitor": m, "latest": latest.get(m.name)} for m in monitors])
        return
    rows = []
    for m in monitors:
        last = latest.get(m.name)
        rows.append(
            (
                m.name, m.deployment, str(m.window), m.schedule or f"every {m.window}",
                "paused" if m.paused else "active", last.window_end if last else None,
                last.status if last else None, last.drift_share if last else None,
            )
        )  # fmt: skip
    columns = [
        "monitor",
        "deployment",
        "window",
        "schedule",
        "state",
        "last window",
        "status",
        "drift share",
    ]
    print_table(f"{len(rows)} monitor(s)", columns, rows)


@app.command("show")
def show(name: str, as_json: bool = JSON_OPTION) -> None:
    """Show a monitor's definition and reference columns.

    Example: loopml monitor show churn
    """
    info = lm.get_monitor(name)
    summary = lm.get_client().monitors.reference(name)
    if as_json:
        print_json({"monitor": info, "reference": {"rows": summary.rows, "columns": summary.names}})
        return
    attributes = [
        ("deployment", info.deployment), ("window", str(info.window)),
        ("schedule", info.schedule or f"every {info.window}"), ("paused", info.paused),
        ("reference", f"{info.reference_digest[:12]} ({summary.rows} rows)"),
        ("task", info.task or "inferred"),
        ("channels", ", ".join(c["type"] for c in info.channels)),
    ]  # fmt: skip
    print_table(f"monitor {name}", ["attribute", "value"], attributes)
    print_table(
        "rules",
        ["rule", "severity", "for windows"],
        [(r.name, r.severity, r.for_windows) for r in info.rules],
    )
    print_table(
        "reference columns",
        ["column", "kind", "rows"],
        [(c.name, c.kind, c.count) for c in summary.columns],
    )


@app.command("run")
def run(
    name: str | None = typer.Argument(
        None, help="Evaluate this monitor now (default: every due monitor)."
    ),
    at: str | None = typer.Option(None, "--at", help="End of the window, ISO time (default: now)."),
    window: str | None = typer.Option(
        None, "--window", "-w", help="Window length (default: the monitor's)."
    ),
    current: Path | None = typer.Option(
        None, "--current", help="Evaluate this parquet/CSV file instead."
    ),
    forever: bool = typer.Option(
        False, "--forever", help="Keep running monitors on their schedules."
    ),
    poll: float = typer.Option(
        30.0, "--poll", help="Seconds between schedule checks with --forever."
    ),
    metrics_port: int | None = typer.Option(
        None, "--metrics-port", help="Serve Prometheus gauges on 127.0.0.1:PORT."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Evaluate monitors: one now, every due one, or on their schedules with --forever.

    Example: loopml monitor run churn --at 2026-11-23T12:00 --json
    """
    monitors = lm.get_client().monitors
    if metrics_port is not None:
        _serve_metrics(metrics_port)
    if forever:
        console.print("running monitors on their schedules (Ctrl-C to stop)")
        try:
            monitors.run_forever(poll_s=poll)
        except KeyboardInterrupt:
            return
        return
    if name is None:
        results = monitors.run_due(_when(at))
    else:
        results = [
            monitors.run(
                name, at=_when(at), window=window, current=str(current) if current else None
            )
        ]
    if as_json:
        print_json(results)
        return
    _print_results(results)


def _serve_metrics(port: int) -> Any:
    from prometheus_client import CollectorRegistry, start_http_server

    registry = CollectorRegistry()
    registry.register(lm.get_client().monitors.metrics_collector())
    server, _ = start_http_server(port, addr="127.0.0.1", registry=registry)
    console.print(f"Prometheus gauges on http://127.0.0.1:{port}/metrics")
    return server


def _print_results(results: list[Any]) -> None:
    rows = [
        (
            r.monitor, r.window_start, r.window_end, r.status, r.rows, r.labelled, r.drift_share,
            ", ".join(r.drifted_columns) or "-",
            ", ".join(f"{o['rule']}" for o in r.outcomes if o["state"] == "breached") or "-",
        )
        for r in results
    ]  # fmt: skip
    columns = [
        "monitor",
        "from",
        "to",
        "status",
        "rows",
        "labelled",
        "drift share",
        "drifted",
        "breached",
    ]
    print_table(f"{len(rows)} window(s) evaluated", columns, rows)
    for r in results:
        if r.message:
            console.print(f"[yellow]{r.monitor}:[/] {r.message}")


@app.command("results")
def results(
    name: str,
    since: str = typer.Option("24h", "--since", help="How far back, e.g. 24h, 7d."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a monitor's stored windows (the time series).

    Example: loopml monitor results churn --since 7d --json
    """
    start = dt.datetime.now(dt.UTC) - _duration(since)
    found = lm.monitor_results(name, since=start)
    if as_json:
        print_json(found)
        return
    _print_results(found)


def _duration(text: str) -> dt.timedelta:
    try:
        return parse_duration(text)
    except ValueError as err:
        raise typer.BadParameter(str(err)) from err


@app.command("alerts")
def alerts(
    monitor: str | None = typer.Option(None, "--monitor", "-m", help="Only this monitor."),
    all_: bool = typer.Option(False, "--all", help="Include resolved alerts."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List open alerts (or all with --all).

    Example: loopml monitor alerts --monitor churn --all
    """
    found = lm.list_alerts(monitor, status=None if all_ else "open")
    if as_json:
        print_json(found)
        return
    rows = [
        (a.id, a.monitor, a.rule, a.severity, a.status, a.opened_at, a.resolved_at, a.message)
        for a in found
    ]
    columns = ["id", "monitor", "rule", "severity", "status", "opened", "resolved", "message"]
    print_table(f"{len(rows)} alert(s)", columns, rows)


@app.command("report")
def report(
    name: str,
    window: str = typer.Option("24h", "--window", "-w", help="Period covered, e.g. 24h, 7d."),
    out: Path | None = typer.Option(
        None, "--out", "-o", help="HTML file (default: <name>-report.html)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Write a self-contained HTML report (drift, distributions, time series, alerts).

    Example: loopml monitor report churn --window 24h --out churn.html
    """
    path = out or Path(f"{name}-report.html")
    built = lm.get_client().monitors.report(name, window=window, path=path)
    period = built.period
    if as_json:
        print_json({"path": str(path), "period": period, "alerts": built.alerts})
        return
    rows = [
        (
            c["column"],
            c["kind"],
            c["test"],
            c["p_adjusted"],
            c["effect_name"],
            c["effect"],
            c["drifted"],
        )
        for c in period.detail.get("drift", [])
    ]
    title = f"{name}: {period.rows} rows, drift share {period.drift_share}, status {period.status}"
    print_table(title, ["column", "kind", "test", "p (adj.)", "effect", "value", "drifted"], rows)
    console.print(f"report written to [bold]{path}[/]")


@app.command("drift")
def drift(
    reference: Path,
    current: Path,
    categorical: list[str] = typer.Option(
        None, "--categorical", help="Treat as categorical (repeat)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare two parquet/CSV files column by column (no store needed).

    Example: loopml monitor drift train.parquet today.parquet --json
    """
    found = lm.detect_drift(str(reference), str(current), categorical=categorical or ())
    if as_json:
        print_json({"share": found.share, "drifted": found.drifted, "columns": found.columns})
        return
    rows = [
        (c.column, c.kind, c.test, c.p_adjusted, c.effect_name, c.effect, c.psi, c.drifted)
        for c in found.columns
    ]
    title = f"{len(found.drifted)} of {found.tested} column(s) drifted (share {found.share:.2f})"
    print_table(
        title, ["column", "kind", "test", "p (adj.)", "effect", "value", "PSI", "drifted"], rows
    )


@app.command("feedback")
def feedback(
    path: Path,
    deployment: str | None = typer.Option(
        None, "--deployment", "-d", help="Deployment of the predictions."
    ),
    on_unknown: str = typer.Option("error", "--on-unknown", help="error, skip or keep."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Log ground-truth labels from a parquet/CSV file (prediction_id, label[, time]).

    Example: loopml monitor feedback labels.parquet --deployment churn --on-unknown skip
    """
    mode = cast("Literal['error', 'skip', 'keep']", on_unknown)  # checked by log_feedback_batch
    result = lm.log_feedback_batch(str(path), deployment=deployment, on_unknown=mode)
    if as_json:
        print_json(result)
        return
    console.print(f"logged {result.written} label(s); skipped {len(result.unknown)} unknown id(s)")


@app.command("metrics")
def metrics() -> None:
    """Print the monitoring gauges in the Prometheus text format.

    Example: loopml monitor metrics
    """
    from prometheus_client import CollectorRegistry, generate_latest

    registry = CollectorRegistry(auto_describe=False)
    registry.register(lm.get_client().monitors.metrics_collector())
    typer.echo(generate_latest(registry).decode(), nl=False)


@app.command("prune")
def prune(
    name: str | None = typer.Argument(None, help="Only this monitor (default: all)."),
    older_than: str = typer.Option("90d", "--older-than", help="Age of results to delete."),
) -> None:
    """Delete stored window results older than --older-than (alerts are kept).

    Example: loopml monitor prune churn --older-than 30d
    """
    deleted = lm.get_client().monitors.prune(name, older_than=older_than)
    console.print(f"deleted {deleted} window result(s)")


@app.command("pause")
def pause(name: str) -> None:
    """Stop evaluating a monitor on schedule.

    Example: loopml monitor pause churn
    """
    lm.get_client().monitors.pause(name)
    console.print(f"paused {name}")


@app.command("resume")
def resume(name: str) -> None:
    """Evaluate a paused monitor on schedule again.

    Example: loopml monitor resume churn
    """
    lm.get_client().monitors.resume(name)
    console.print(f"resumed {name}")


@app.command("delete")
def delete(name: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")) -> None:
    """Delete a monitor with its results and alerts.

    Example: loopml monitor delete churn --yes
    """
    if not yes:
        typer.confirm(f"delete monitor {name} and its results and alerts?", abort=True)
    lm.delete_monitor(name)
    console.print(f"deleted {name}")

"""``loopml runs``: list, show, compare, delete runs; read histories and artifacts."""

from __future__ import annotations

from pathlib import Path

import typer

import loopml as lm
from loopml.cli._output import (
    JSON_OPTION,
    console,
    format_ms,
    print_json,
    print_table,
)

app = typer.Typer(help="Inspect and manage runs.", no_args_is_help=True)


@app.command("list")
def list_(
    experiment: list[str] = typer.Option(None, "--experiment", "-e", help="Experiment name(s)."),
    filter_: str = typer.Option(None, "--filter", "-f", help='e.g. "metrics.acc > 0.9".'),
    order_by: list[str] = typer.Option(None, "--order-by", "-o", help="e.g. 'metrics.acc desc'."),
    limit: int = typer.Option(50, "--limit", "-n", help="Page size."),
    page_token: str = typer.Option(None, "--page-token", help="Token of the next page."),
    include_deleted: bool = typer.Option(False, "--all", help="Include deleted runs."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List runs, newest first, filtered and ordered with the search language.

    Example: loopml runs list -e churn -f "metrics.auc > 0.9" -o "metrics.auc desc" --json
    """
    page = lm.search_runs(
        experiment or None,
        filter_,
        order_by or None,
        limit,
        page_token,
        output="list",
        include_deleted=include_deleted,
    )
    if as_json:
        print_json({"runs": list(page), "next_page_token": page.next_page_token})
        return
    metric_keys = sorted({k for run in page for k in run.metrics})[:6]
    columns = [
        "run id",
        "experiment",
        "name",
        "status",
        "started (UTC)",
        "duration s",
        *metric_keys,
    ]
    rows = [
        (
            run.id[:12],
            run.experiment,
            run.name,
            run.status,
            format_ms(run.start_time),
            run.duration_s,
            *(run.metrics.get(k) for k in metric_keys),
        )
        for run in page
    ]
    print_table(f"{len(page)} run(s)", columns, rows)
    if page.next_page_token:
        console.print(f"next page: --page-token {page.next_page_token}")


@app.command("show")
def show(run_id: str, as_json: bool = JSON_OPTION) -> None:
    """Show one run: attributes, params, latest metrics, tags and artifacts.

    Example: loopml runs show 3f2a9c... --json
    """
    runs = lm.get_client().runs
    run = runs.get_run(_full_id(run_id))
    artifacts = runs.list_artifacts(run.id)
    if as_json:
        print_json({"run": run, "artifacts": artifacts})
        return
    attributes = [
        ("id", run.id),
        ("experiment", run.experiment),
        ("name", run.name),
        ("status", run.status),
        ("started", format_ms(run.start_time)),
        ("ended", format_ms(run.end_time)),
        ("duration s", run.duration_s),
        ("user", run.user),
        ("parent", run.parent_id),
        ("source", run.source),
        ("git commit", run.git_commit),
        ("git branch", run.git_branch),
        ("git dirty", run.git_dirty),
        ("python", run.python_version),
        ("platform", run.platform),
        ("seed", run.seed),
    ]
    print_table(f"run {run.name}", ["attribute", "value"], attributes)
    if run.params:
        print_table("params", ["key", "value"], sorted(run.params.items()))
    if run.metrics:
        print_table("metrics (latest)", ["key", "value"], sorted(run.metrics.items()))
    if run.tags:
        print_table("tags", ["key", "value"], sorted(run.tags.items()))
    if artifacts:
        print_table(
            "artifacts",
            ["path", "size", "media type", "digest"],
            [(a.path, a.size, a.media_type, a.digest[:12]) for a in artifacts],
        )
    if run.error:
        console.print(f"[red]error:[/]\n{run.error}")


@app.command("compare")
def compare(run_ids: list[str], as_json: bool = JSON_OPTION) -> None:
    """Compare params and metrics of two or more runs side by side.

    Example: loopml runs compare 3f2a9c 81bd02
    """
    if len(run_ids) < 2:
        raise typer.BadParameter("give at least two run ids")
    runs = lm.get_client().runs
    infos = [runs.get_run(_full_id(r)) for r in run_ids]
    keys = sorted({f"params.{k}" for i in infos for k in i.params})
    keys += sorted({f"metrics.{k}" for i in infos for k in i.metrics})
    table = {key: [_value(info, key) for info in infos] for key in keys}
    if as_json:
        print_json({"runs": [i.id for i in infos], "values": table})
        return
    columns = ["key", *(f"{i.name} ({i.id[:8]})" for i in infos)]
    rows = [(key, *values) for key, values in table.items()]
    print_table("comparison", columns, rows)


def _value(info: lm.RunInfo, key: str) -> object:
    kind, _, name = key.partition(".")
    return info.params.get(name) if kind == "params" else info.metrics.get(name)


@app.command("delete")
def delete(
    run_ids: list[str],
    purge: bool = typer.Option(False, "--purge", help="Delete the data for good."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete runs (hidden from searches; --purge removes their data for good).

    Example: loopml runs delete 3f2a9c --yes
    """
    ids = [_full_id(r) for r in run_ids]
    if not yes:
        what = "Purge" if purge else "Delete"
        typer.confirm(f"{what} {len(ids)} run(s)?", abort=True)
    runs = lm.get_client().runs
    for run_id in ids:
        runs.delete_run(run_id, purge=purge)
    console.print(f"{'purged' if purge else 'deleted'} {len(ids)} run(s)")


@app.command("restore")
def restore(run_ids: list[str]) -> None:
    """Restore deleted (not purged) runs.

    Example: loopml runs restore 3f2a9c
    """
    runs = lm.get_client().runs
    for run_id in run_ids:
        runs.restore_run(_full_id(run_id, include_deleted=True))
    console.print(f"restored {len(run_ids)} run(s)")


@app.command("history")
def history(run_id: str, key: str, as_json: bool = JSON_OPTION) -> None:
    """Print the full history of one metric of a run.

    Example: loopml runs history 3f2a9c loss --json
    """
    points = lm.get_client().runs.get_metric_history(_full_id(run_id), key, output="list")
    if as_json:
        print_json(points)
        return
    print_table(
        f"{key}: {len(points)} point(s)",
        ["step", "time (UTC)", "value"],
        [(p.step, format_ms(p.timestamp), p.value) for p in points],
    )


@app.command("artifacts")
def artifacts(run_id: str, prefix: str = typer.Argument(""), as_json: bool = JSON_OPTION) -> None:
    """List the artifacts of a run.

    Example: loopml runs artifacts 3f2a9c plots/
    """
    infos = lm.get_client().runs.list_artifacts(_full_id(run_id), prefix)
    if as_json:
        print_json(infos)
        return
    print_table(
        "artifacts",
        ["path", "size", "media type", "digest"],
        [(a.path, a.size, a.media_type, a.digest[:12]) for a in infos],
    )


@app.command("download")
def download(
    run_id: str,
    path: str = typer.Argument("", help="Artifact or folder path; empty for all."),
    dest: Path = typer.Option(Path("."), "--dest", "-d", help="Where to write."),
) -> None:
    """Copy artifacts of a run to a local folder (verified against their digests).

    Example: loopml runs download 3f2a9c model --dest ./model
    """
    target = lm.get_client().runs.download_artifacts(_full_id(run_id), path, dest)
    console.print(f"wrote {target}")


def _full_id(prefix: str, *, include_deleted: bool = False) -> str:
    """Accept a unique prefix of a run id, as git does for commits."""
    return lm.get_client().runs.resolve_run_id(prefix, include_deleted=include_deleted)

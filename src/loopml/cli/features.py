"""``loopml features``: register definitions, materialize, look up, serve, check."""

from __future__ import annotations

import datetime as dt
from typing import Any

import typer

import loopml as lm
from loopml.cli._output import (
    JSON_OPTION,
    console,
    err_console,
    jsonable,
    print_json,
    print_table,
)

app = typer.Typer(
    help="Feature store: definitions, materialization, online lookups.", no_args_is_help=True
)


def _us(value: int | None) -> str:
    if value is None:
        return "-"
    return dt.datetime.fromtimestamp(value / 1e6, dt.UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command("apply")
def apply(
    paths: list[str] = typer.Argument(
        None, help="Definition files or folders (default: features.py)."
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Show what would change; register nothing."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register the entities and feature views declared in Python files.

    A changed definition becomes a new version; unchanged ones are left alone.

    Example: loopml features apply features.py --dry-run
    """
    changes = lm.get_client().features.apply_files(paths or None, dry_run=dry_run)
    if as_json:
        print_json({"dry_run": dry_run, "changes": changes})
        return
    rows = [
        (
            c.kind,
            c.name,
            c.version,
            c.action,
            ", ".join(c.changed) or "-",
            "yes" if c.needs_materialize else "-",
        )
        for c in changes
    ]
    title = "would apply" if dry_run else "applied"
    print_table(title, ["kind", "name", "version", "action", "changed", "materialize"], rows)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List entities and the current version of every feature view.

    Example: loopml features list --json
    """
    fs = lm.get_client().features
    views, entities = fs.list_views(), fs.list_entities()
    if as_json:
        print_json(
            {
                "entities": [
                    {"name": e.name, "version": e.version, **e.entity.spec()} for e in entities
                ],
                "views": [
                    {**_view_json(v), "materialized_until": fs.watermark(v.name)} for v in views
                ],
            }
        )
        return
    print_table(
        f"{len(entities)} entit{'y' if len(entities) == 1 else 'ies'}",
        ["name", "version", "dtype", "description"],
        [(e.name, e.version, e.entity.dtype or "inferred", e.entity.description) for e in entities],
    )
    print_table(
        f"{len(views)} feature view(s)",
        ["name", "version", "entity", "features", "ttl", "source", "materialized until"],
        [
            (
                v.name,
                v.version,
                ", ".join(v.view.entity),
                len(v.view.feature_names),
                str(v.view.ttl) if v.view.ttl else "-",
                v.view.source.describe(),
                _until(fs.watermark(v.name)) if v.view.online else "offline only",
            )
            for v in views
        ],
    )


def _until(value: dt.datetime | None) -> str:
    return "never" if value is None else value.strftime("%Y-%m-%d %H:%M:%S")


def _view_json(view: Any) -> dict[str, object]:
    return {
        "name": view.name,
        "version": view.version,
        "digest": view.digest,
        "created_at": view.created_at,
        "definition": view.view.spec(),
        "source_schema": view.schema,
    }


@app.command("show")
def show(
    view: str,
    version: int = typer.Option(
        None, "--version", "-v", help="A version (default: the current one)."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show a feature view: definition, source schema, versions and materializations.

    Example: loopml features show activity --version 2
    """
    fs = lm.get_client().features
    found = fs.get_view(view, version)
    versions = fs.view_versions(view)
    runs = fs.materializations(view, limit=10)
    if as_json:
        print_json(
            {
                **_view_json(found),
                "versions": [v.version for v in versions],
                "materializations": runs,
            }
        )
        return
    spec = found.view.spec()
    console.print(
        f"[bold]{found.name}[/] v{found.version} of {len(versions)}  digest {found.digest[:12]}"
    )
    for key in ("entity", "timestamp", "created_timestamp", "ttl_s", "online", "description"):
        console.print(f"  {key}: {spec[key]}")
    console.print(f"  source: {found.view.source.describe()}")
    print_table(
        "features",
        ["name", "type", "source type"],
        [(n, t, found.schema.get(n)) for n, t in found.feature_types.items()],
    )
    print_table(
        "recent materializations",
        ["id", "version", "mode", "window end", "entities", "status"],
        [(r.id, r.version, r.mode, _us(r.window_end_us), r.entities, r.status) for r in runs],
    )


@app.command("materialize")
def materialize(
    views: list[str] = typer.Argument(
        None, help="Views to materialize (default: all online views)."
    ),
    start: str = typer.Option(
        None, "--start", help="Window start, ISO 8601 (default: the watermark)."
    ),
    end: str = typer.Option(None, "--end", help="Window end, ISO 8601, exclusive (default: now)."),
    force: bool = typer.Option(
        False,
        "--force",
        help="Take the view's lease from a process known to be dead (it lapses in 30 s anyway).",
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Load the latest feature values into the online store (incremental by default).

    Example: loopml features materialize activity --start 2024-01-01 --end 2024-02-01
    """
    fs = lm.get_client().features
    from rich.progress import Progress

    with Progress(console=err_console, transient=True, disable=as_json) as bar:
        task = bar.add_task("materializing", total=None)

        def progress(name: str, result: object) -> None:
            bar.update(
                task,
                description=f"{'done' if result else 'materializing'} {name}",
                advance=1 if result else 0,
            )

        results = fs.materialize(start, end, views=views or None, progress=progress, force=force)
    if as_json:
        print_json({"materializations": results})
        return
    print_table(
        "materialized",
        ["view", "version", "mode", "from", "to", "entities", "written", "seconds"],
        [
            (
                r.view,
                r.version,
                r.mode,
                _us(r.start),
                _us(r.end),
                r.entities,
                r.written,
                round(r.seconds, 3),
            )
            for r in results
        ],
    )


@app.command("get")
def get(
    entity: list[str] = typer.Option(..., "--entity", "-e", help="column=value[,value...]"),
    feature: list[str] = typer.Option(..., "--feature", "-f", help="view:feature (repeatable)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Look up online feature values of some entities.

    Example: loopml features get -e customer_id=1,2 -f activity:orders_7d -f activity:spend_30d
    """
    entities: dict[str, list[str]] = {}
    for item in entity:
        name, sep, values = item.partition("=")
        if not sep or not name:
            raise typer.BadParameter(f"{item!r} must look like column=value[,value...]")
        entities[name] = values.split(",")
    result = lm.get_client().features.get_online_features(entities, feature)
    if as_json:
        print_json(result)
        return
    print_table(None, list(result), list(zip(*result.values(), strict=True)))


@app.command("serve")
def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(6566, "--port", "-p", help="Port."),
    workers: int = typer.Option(1, "--workers", "-w", help="Worker processes."),
    max_body_mb: float = typer.Option(
        32.0, "--max-body-mb", help="Largest request body; larger ones get 413 unread."
    ),
) -> None:
    """Serve online feature lookups over HTTP (POST /online-features).

    Example: loopml features serve --port 6566
    """
    err_console.print(f"feature server on http://{host}:{port} (POST /online-features)")
    lm.get_client().online_features.serve(host, port, workers, max_body_mb)


@app.command("check")
def check(
    view: str,
    sample: int = typer.Option(100, "--sample", "-n", help="Entities to compare."),
    seed: int = typer.Option(0, "--seed", help="Sampling seed."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare sampled online values with the offline latest values; exit 1 if any differ.

    Example: loopml features check activity --sample 500
    """
    report = lm.get_client().features.check(view, sample=sample, seed=seed)
    if as_json:
        print_json({**jsonable(report), "ok": report.ok})
    else:
        console.print(
            f"{report.view} v{report.version} as of {_us(report.horizon_us)}: {report.sampled} "
            f"sampled, {report.matching} match, {report.mismatched} differ, "
            f"{report.missing_online} missing online, {report.expired} expired by TTL"
        )
        if report.mismatches:
            print_table(
                "differences",
                ["entity", "feature", "online", "offline"],
                [(m["entity"], m["feature"], m["online"], m["offline"]) for m in report.mismatches],
            )
    if not report.ok:
        raise typer.Exit(1)

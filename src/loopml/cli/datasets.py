"""``loopml datasets``: log, list, show, diff, validate and export dataset versions."""

from __future__ import annotations

import shutil
from pathlib import Path  # noqa: TC003 - Typer reads the annotations at run time
from typing import Any

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, format_ms, print_json, print_table

app = typer.Typer(help="Version, inspect, diff and validate datasets.", no_args_is_help=True)


@app.command("list")
def list_(as_json: bool = JSON_OPTION) -> None:
    """List datasets with their latest version.

    Example: loopml datasets list --json
    """
    datasets = lm.get_client().datasets
    rows = []
    for dataset in datasets.list_datasets():
        latest = datasets.get_version(dataset.name) if dataset.latest_version else None
        rows.append((dataset, latest))
    if as_json:
        print_json([_dataset_row(ds, latest) for ds, latest in rows])
        return
    print_table(
        f"{len(rows)} dataset(s)",
        ["name", "versions", "latest", "rows", "columns", "digest", "schema", "updated (UTC)"],
        [
            (
                ds.name,
                ds.num_versions,
                latest.version if latest else None,
                latest.num_rows if latest else None,
                latest.num_columns if latest else None,
                latest.short_digest if latest else None,
                "yes" if ds.schema else "",
                format_ms(ds.updated_at),
            )
            for ds, latest in rows
        ],
    )


def _dataset_row(dataset: lm.Dataset, latest: lm.DatasetVersion | None) -> dict[str, Any]:
    return {
        "name": dataset.name,
        "description": dataset.description,
        "versions": dataset.num_versions,
        "latest_version": dataset.latest_version,
        "latest_digest": latest.digest if latest else None,
        "rows": latest.num_rows if latest else None,
        "has_schema": dataset.schema is not None,
        "created_at": dataset.created_at,
        "updated_at": dataset.updated_at,
    }


@app.command("show")
def show(ref: str, as_json: bool = JSON_OPTION) -> None:
    """Show a dataset's versions, or one version's columns, profile and lineage.

    NAME lists every version with the runs that used or produced it; NAME@VERSION
    (a number, 'latest' or a digest prefix) shows that version in detail.

    Example: loopml datasets show customers@3 --json
    """
    datasets = lm.get_client().datasets
    if "@" not in ref:
        _show_dataset(datasets, ref, as_json)
        return
    version = datasets.get_version(ref)
    links = datasets.version_links(version)
    if as_json:
        print_json({**version.to_dict(), "lineage": [_link(e) for e in links]})
        return
    _print_version(version, links)


def _show_dataset(datasets: Any, name: str, as_json: bool) -> None:
    dataset = datasets.get_dataset(name)
    versions = datasets.list_versions(name)
    links = {v.version: datasets.version_links(v) for v in versions}
    if as_json:
        print_json(
            {
                **_dataset_row(dataset, versions[-1] if versions else None),
                "schema": dataset.schema,
                "versions": [
                    {**_version_row(v), "lineage": [_link(e) for e in links[v.version]]}
                    for v in versions
                ],
            }
        )
        return
    print_table(
        f"dataset {name}" + (f": {dataset.description}" if dataset.description else ""),
        ["version", "digest", "rows", "cols", "size", "created (UTC)", "lineage", "description"],
        [
            (
                v.version,
                v.short_digest,
                v.num_rows,
                v.num_columns,
                _size(v.size_bytes),
                format_ms(v.created_at),
                _lineage_summary(v, links[v.version]),
                v.description,
            )
            for v in versions
        ],
    )
    if dataset.schema:
        console.print(f"schema attached: {len(dataset.schema.get('columns', []))} column rule(s)")


def _version_row(version: lm.DatasetVersion) -> dict[str, Any]:
    data = version.to_dict()
    data.pop("profile")
    return data


def _print_version(version: lm.DatasetVersion, links: list[Any]) -> None:
    console.print(
        f"[bold]{version.ref}[/]  digest {version.digest}\n"
        f"{version.num_rows} rows x {version.num_columns} columns, {_size(version.size_bytes)}, "
        f"created {format_ms(version.created_at)} UTC"
        + (f", run {version.run_id}" if version.run_id else "")
        + (f"\nsource: {version.source}" if version.source else "")
        + (f"\n{version.description}" if version.description else ""),
        highlight=False,
    )
    print_table(
        "columns",
        ["column", "type", "nulls", "distinct", "min", "max", "mean", "median", "top values"],
        [_profile_row(column) for column in version.profile.columns],
    )
    if links:
        print_table(
            "lineage",
            ["from", "relation", "to"],
            [(f"{e.src_type} {e.src_id}", e.relation, f"{e.dst_type} {e.dst_id}") for e in links],
        )


def _profile_row(column: lm.ColumnProfile) -> tuple[Any, ...]:
    top = ", ".join(f"{v.value}={v.count}" for v in column.top_values[:3])
    return (
        column.name,
        column.type,
        f"{100 * column.null_fraction:.1f}%",
        column.distinct_count,
        column.min,
        column.max,
        column.mean,
        column.quantiles.get("0.5"),
        top,
    )


def _link(edge: Any) -> dict[str, Any]:
    return {
        "src_type": edge.src_type,
        "src_id": edge.src_id,
        "relation": edge.relation,
        "dst_type": edge.dst_type,
        "dst_id": edge.dst_id,
        "created_at": edge.created_at,
    }


def _lineage_summary(version: lm.DatasetVersion, links: list[Any]) -> str:
    used = sum(1 for e in links if e.relation == "used" and e.dst_id == version.node_id)
    produced = [e.src_id[:8] for e in links if e.relation == "produced"]
    upstream = [
        e.dst_id for e in links if e.relation == "derived_from" and e.src_id == version.node_id
    ]
    parts = []
    if produced:
        parts.append(f"produced by {', '.join(produced)}")
    if used:
        parts.append(f"used by {used} run(s)")
    if upstream:
        parts.append(f"from {', '.join(upstream)}")
    return "; ".join(parts)


def _size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KiB", "MiB", "GiB"):
        if value < 1024 or unit == "GiB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{size} B"


@app.command("diff")
def diff(
    old: str,
    new: str = typer.Argument(None, help="NAME@VERSION, or just a version of OLD's dataset."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Compare two versions: added/removed/retyped columns, changed values, profile shifts.

    OLD alone: NAME compares its two newest versions; NAME@V compares V with the latest.

    Example: loopml datasets diff customers@1 customers@3
    """
    if new is not None and "@" not in new:
        new = f"{old.partition('@')[0]}@{new}"
    result = lm.diff_datasets(old, new)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(result.summary(), highlight=False)
    rows = []
    for change in result.columns:
        if change.status == "unchanged":
            continue
        stats = "; ".join(
            f"{k} {_cell(v.old)} -> {_cell(v.new)}" for k, v in list(change.stats.items())[:4]
        )
        values = ""
        if change.new_values or change.missing_values:
            values = f"+{list(change.new_values)} -{list(change.missing_values)}"
        rows.append(
            (
                change.name,
                change.status,
                change.old_type
                if not change.type_changed
                else f"{change.old_type} -> {change.new_type}",
                stats,
                None if change.mean_shift is None else round(change.mean_shift, 3),
                values,
            )
        )
    if rows:
        print_table(
            "columns", ["column", "status", "type", "profile", "mean shift (sd)", "values"], rows
        )


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@app.command("validate")
def validate(
    target: str = typer.Argument(
        ..., help="NAME@VERSION of a stored version, or a parquet/CSV path."
    ),
    schema_file: Path = typer.Option(None, "--schema", "-s", help="Schema file (JSON or YAML)."),
    against: str = typer.Option(
        None, "--against", "-a", help="Infer the schema from this version."
    ),
    margin: float = typer.Option(0.0, "--margin", help="Widen inferred ranges by this share."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Validate data against a schema; exit 1 if any check fails (a pipeline gate).

    The schema is --schema FILE, or inferred from --against NAME@VERSION's profile, or
    the dataset's attached schema for a stored version.

    Example: loopml datasets validate data/march.parquet --against customers@latest --json
    """
    schema = _schema(schema_file, against, margin)
    report = lm.validate(target, schema)
    if as_json:
        print_json(report.to_dict())
    else:
        console.print(report.summary(limit=20), highlight=False)
    if not report.passed:
        raise typer.Exit(1)


def _schema(schema_file: Path | None, against: str | None, margin: float) -> lm.Schema | None:
    if schema_file is not None and against is not None:
        raise typer.BadParameter("give --schema or --against, not both")
    if schema_file is not None:
        return lm.Schema.load(schema_file)
    if against is not None:
        reference = lm.get_dataset_version(against)
        return lm.Schema.from_profile(reference.profile, margin=margin, name=reference.ref)
    return None


@app.command("schema")
def schema(
    name: str,
    set_file: Path = typer.Option(None, "--set", help="Attach the schema in this JSON/YAML file."),
    infer: str = typer.Option(None, "--infer", help="Attach a schema inferred from this version."),
    margin: float = typer.Option(0.0, "--margin", help="Widen inferred ranges by this share."),
    remove: bool = typer.Option(False, "--remove", help="Detach the schema."),
    output: Path = typer.Option(None, "--output", "-o", help="Also write it to this file."),
) -> None:
    """Show, attach or remove the schema that every new version of a dataset must pass.

    Example: loopml datasets schema customers --infer customers@1 --margin 0.1 -o schema.yaml
    """
    datasets = lm.get_client().datasets
    if remove:
        datasets.set_schema(name, None)
        console.print(f"removed the schema of {name!r}")
        return
    chosen = _schema(set_file, f"{name}@{infer}" if infer and "@" not in infer else infer, margin)
    if chosen is not None:
        datasets.set_schema(name, chosen)
    current = datasets.get_schema(name)
    if current is None:
        console.print(
            f"dataset {name!r} has no schema; attach one with --set FILE or --infer VERSION"
        )
        return
    if output is not None:
        current.save(output)
    print_json(current.to_dict())


@app.command("log")
def log(
    path: Path,
    name: str,
    description: str = typer.Option(None, "--description", "-d", help="What this version is."),
    no_validate: bool = typer.Option(False, "--no-validate", help="Skip the attached schema."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Log a parquet/CSV file or folder as a version of a dataset (same content, same version).

    Example: loopml datasets log exports/march.parquet customers -d "March export"
    """
    version = lm.log_dataset(path, name, description=description, validate=not no_validate)
    if as_json:
        print_json(_version_row(version))
        return
    console.print(
        f"{version.ref}: {version.num_rows} rows x {version.num_columns} columns, "
        f"digest {version.short_digest}",
        highlight=False,
    )


@app.command("export")
def export(
    ref: str,
    dest: Path,
    columns: list[str] = typer.Option(None, "--column", "-c", help="Only these columns."),
) -> None:
    """Write a version to a parquet or CSV file (by DEST's suffix), verified against its digest.

    Example: loopml datasets export customers@3 customers-v3.csv
    """
    suffix = dest.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise typer.BadParameter(f"DEST must end in .parquet or .csv, not {dest.name!r}")
    datasets = lm.get_client().datasets
    version = datasets.get_version(ref)
    dest.parent.mkdir(parents=True, exist_ok=True)
    if suffix != ".csv" and not columns:
        shutil.copyfile(datasets.dataset_path(version), dest)
    else:
        frame = datasets.load_dataset(version, columns=columns or None)
        if suffix == ".csv":
            frame.to_csv(dest, index=False)
        else:
            frame.to_parquet(dest)
    console.print(f"wrote {version.num_rows} rows of {version.ref} to {dest}")


@app.command("profile")
def profile(path: Path, as_json: bool = JSON_OPTION) -> None:
    """Profile a parquet/CSV file or folder without storing anything.

    Example: loopml datasets profile data/march.parquet --json
    """
    result = lm.profile_data(path)
    if as_json:
        print_json(result.to_dict())
        return
    console.print(f"{result.num_rows} rows x {result.num_columns} columns", highlight=False)
    print_table(
        "columns",
        ["column", "type", "nulls", "distinct", "min", "max", "mean", "median", "top values"],
        [_profile_row(column) for column in result.columns],
    )

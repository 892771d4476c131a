"""``loopml models``: registered models, versions, aliases and their history."""

from __future__ import annotations

from typing import Any

import typer

import loopml as lm
from loopml.cli._output import (
    JSON_OPTION,
    console,
    format_ms,
    jsonable,
    print_json,
    print_table,
)

app = typer.Typer(
    help="Registered models, versions, aliases and alias history.", no_args_is_help=True
)

_VERSION = typer.Option(None, "--version", "-v", help="A version number or alias.")


@app.command("list")
def list_(
    contains: str = typer.Option(None, "--contains", "-c", help="Only names containing this."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List registered models with their latest version and aliases.

    Example: loopml models list --json
    """
    found = lm.list_models(contains)
    if as_json:
        print_json({"models": found})
        return
    rows = [
        (
            m.name,
            m.latest_version,
            m.version_count,
            _aliases(m.aliases),
            format_ms(m.updated_at),
            m.description,
        )
        for m in found
    ]
    columns = ["name", "latest", "versions", "aliases", "updated (UTC)", "description"]
    print_table(f"{len(found)} model(s)", columns, rows)


@app.command("show")
def show(name: str, as_json: bool = JSON_OPTION) -> None:
    """Show a registered model: description, tags, aliases and recent versions.

    Example: loopml models show churn
    """
    model = lm.get_registered_model(name)
    versions = lm.list_model_versions(name)
    if as_json:
        print_json({"model": model, "versions": versions, "verdicts": lm.gate_verdicts(name)[:10]})
        return
    attributes = [
        ("name", model.name),
        ("description", model.description),
        ("latest version", model.latest_version),
        ("versions", model.version_count),
        ("created", f"{format_ms(model.created_at)} by {model.created_by}"),
        ("updated", format_ms(model.updated_at)),
        ("aliases", _aliases(model.aliases)),
    ]
    print_table(f"model {name}", ["attribute", "value"], attributes)
    if model.tags:
        print_table("tags", ["key", "value"], sorted(model.tags.items()))
    _version_table(versions[:10], f"latest {min(len(versions), 10)} of {len(versions)} version(s)")
    _verdicts_table(lm.gate_verdicts(name)[:10])


def _verdicts_table(verdicts: list[Any]) -> None:
    """Gate verdicts (loop and CI), newest first: one line each."""
    if verdicts:
        rows = [
            (v.version, "passed" if v.passed else "FAILED", v.source, format_ms(v.created_at),
             v.summary())
            for v in verdicts
        ]  # fmt: skip
        print_table("gate verdicts", ["version", "verdict", "by", "at", "summary"], rows)


@app.command("versions")
def versions(name: str, as_json: bool = JSON_OPTION) -> None:
    """List every version of a model, newest first.

    Example: loopml models versions churn --json
    """
    found = lm.list_model_versions(name)
    if as_json:
        print_json({"versions": found})
        return
    _version_table(found, f"{name}: {len(found)} version(s)")


@app.command("version")
def version(name: str, version_or_alias: str, as_json: bool = JSON_OPTION) -> None:
    """Show one version (by number, alias or 'latest') with its signature and metrics.

    Example: loopml models version churn champion
    """
    mv = lm.get_model_version(name, version_or_alias)
    verdicts = lm.gate_verdicts(name, mv.version)
    if as_json:
        print_json({**jsonable(mv), "verdicts": [v.to_dict() for v in verdicts]})
        return
    attributes = [
        ("uri", mv.uri),
        ("flavor", mv.flavor),
        ("digest", mv.digest),
        ("run", mv.run_id),
        ("source", mv.source),
        ("created", f"{format_ms(mv.created_at)} by {mv.created_by}"),
        ("aliases", ", ".join(mv.aliases) or "-"),
        ("description", mv.description),
    ]
    print_table(f"{name} version {mv.version}", ["attribute", "value"], attributes)
    if mv.signature is not None:
        rows = [("input", c.name, c.dtype) for c in mv.signature.inputs]
        rows += [("output", c.name, c.dtype) for c in mv.signature.outputs]
        print_table("signature", ["", "column", "type"], rows)
    if mv.metrics:
        print_table("metrics (from its run)", ["key", "value"], sorted(mv.metrics.items()))
    if mv.tags:
        print_table("tags", ["key", "value"], sorted(mv.tags.items()))
    if verdicts:
        latest = verdicts[0]
        gates: list[tuple[Any, ...]] = [
            (r.gate, "pass" if r.passed else "FAIL", r.value, r.threshold, r.reason)
            for r in latest.results
        ]
        title = f"gates ({latest.source}, {format_ms(latest.created_at)})"
        print_table(title, ["gate", "result", "value", "threshold", "reason"], gates)


@app.command("register")
def register(
    ref: str,
    name: str,
    description: str = typer.Option(None, "--description", "-d", help="Version description."),
    tag: list[str] = typer.Option(None, "--tag", "-t", help="key=value (repeatable)."),
    alias: list[str] = typer.Option(None, "--alias", "-a", help="Point an alias at it."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Register a logged model package (runs:/<id>/model, models:/other/2) as a version.

    Example: loopml models register runs:/3f2a9c.../model churn --alias challenger
    """
    mv = lm.register_model(ref, name, description, _pairs(tag))
    for each in alias or []:
        lm.set_alias(name, each, mv.version)
    if alias:
        mv = lm.get_model_version(name, mv.version)
    if as_json:
        print_json(mv)
        return
    console.print(f"registered [bold]{mv.uri}[/] ({mv.flavor}, digest {mv.digest[:12]})")


@app.command("alias")
def alias(
    name: str,
    alias_name: str | None = typer.Argument(None, metavar="ALIAS"),
    version_ref: str | None = typer.Argument(None, metavar="VERSION"),
    delete: bool = typer.Option(False, "--delete", help="Delete the alias."),
    reason: str = typer.Option(None, "--reason", "-r", help="Note kept in the history."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List aliases, show one, set or move it (with VERSION), or delete it (--delete).

    Example: loopml models alias churn champion 4 --reason "beats v3 on AUC"
    """
    if alias_name is None:
        aliases = lm.get_registered_model(name).aliases
        if as_json:
            print_json({"aliases": aliases})
            return
        print_table(f"{name}: aliases", ["alias", "version"], sorted(aliases.items()))
        return
    if delete:
        _print_change(lm.delete_alias(name, alias_name, reason=reason), as_json)
    elif version_ref is not None:
        _set(name, alias_name, version_ref, reason, as_json)
    else:
        mv = lm.get_model_version(name, alias_name)
        if as_json:
            print_json({"alias": alias_name, "version": mv.version, "digest": mv.digest})
            return
        console.print(f"{name}@{alias_name} -> version {mv.version} ({mv.digest[:12]})")


@app.command("set-alias")
def set_alias(
    name: str,
    alias_name: str = typer.Argument(..., metavar="ALIAS"),
    version_ref: str = typer.Argument(..., metavar="VERSION"),
    reason: str = typer.Option(None, "--reason", "-r", help="Note kept in the history."),
    force: bool = typer.Option(
        False, "--force", help="Move even to a version with a different input signature."
    ),
    as_json: bool = JSON_OPTION,
) -> None:
    """Point an alias at a version (set or move it); the change is kept in the history.

    A move to a version with other input columns is refused unless --force is given.

    Example: loopml models set-alias churn champion 4
    """
    _set(name, alias_name, version_ref, reason, as_json, force=force)


@app.command("delete-alias")
def delete_alias(
    name: str,
    alias_name: str = typer.Argument(..., metavar="ALIAS"),
    reason: str = typer.Option(None, "--reason", "-r", help="Note kept in the history."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Delete an alias; the change is kept in the history.

    Example: loopml models delete-alias churn challenger
    """
    _print_change(lm.delete_alias(name, alias_name, reason=reason), as_json)


@app.command("history")
def history(
    name: str,
    alias_name: str = typer.Option(None, "--alias", "-a", help="Only this alias."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show every alias change of a model: what moved where, when and by whom.

    Example: loopml models history churn --alias champion
    """
    changes = lm.alias_history(name, alias_name)
    if as_json:
        print_json({"history": [c.to_dict() for c in changes]})
        return
    rows = [
        (format_ms(c.at), c.alias, c.action, c.previous_version, c.version, c.by, c.reason)
        for c in changes
    ]
    columns = ["time (UTC)", "alias", "action", "from", "to", "by", "reason"]
    print_table(f"{name}: {len(changes)} alias change(s)", columns, rows)


@app.command("describe")
def describe(
    name: str,
    description: str,
    version_ref: str | None = _VERSION,
) -> None:
    """Set the description of a model, or of one version with --version.

    Example: loopml models describe churn "Churn classifier" --version 3
    """
    client = lm.get_client().models
    if version_ref is None:
        client.update_model(name, description)
    else:
        client.update_model_version(name, version_ref, description)
    console.print("description updated")


@app.command("tag")
def tag(
    name: str,
    pairs: list[str] = typer.Argument(None, metavar="KEY=VALUE..."),
    version_ref: str | None = _VERSION,
    delete: list[str] = typer.Option(None, "--delete", help="Tag key to delete (repeatable)."),
) -> None:
    """Set (KEY=VALUE) or delete (--delete KEY) tags of a model or of one version.

    Example: loopml models tag churn team=growth --version 3
    """
    client = lm.get_client().models
    if pairs:
        client.set_model_tags(name, _pairs(pairs), version_ref)
    for key in delete or []:
        client.delete_model_tag(name, key, version_ref)
    console.print("tags updated")


@app.command("delete-version")
def delete_version(
    name: str,
    version_ref: str = typer.Argument(..., metavar="VERSION"),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask."),
) -> None:
    """Delete a version that no alias points at (its number is never reused).

    Example: loopml models delete-version churn 2 --yes
    """
    if not yes:
        typer.confirm(f"Delete {name} version {version_ref}?", abort=True)
    lm.get_client().models.delete_model_version(name, version_ref)
    console.print(f"deleted {name} version {version_ref}")


@app.command("export")
def export(uri: str, dest: str, as_json: bool = JSON_OPTION) -> None:
    """Copy a model package (manifest and files, verified) into a folder.

    Example: loopml models export models:/churn@champion ./churn-model
    """
    target = lm.get_client().models.export_model(uri, dest)
    if as_json:
        print_json({"uri": uri, "path": str(target)})
        return
    console.print(f"exported {uri} to {target}")


@app.command("import")
def import_(
    folder: str,
    register: str | None = typer.Option(None, "--register", help="Register it under this name."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Store an exported package folder (paths and digests checked, nothing unpickled).

    Example: loopml models import ./churn-model --register churn
    """
    package = lm.get_client().models.import_package(folder)
    version = lm.register_model(package, register) if register else None
    out: dict[str, object] = {"digest": package.digest, "flavor": package.flavor}
    if version is not None:
        out.update(name=version.name, version=version.version)
    if as_json:
        print_json(out)
        return
    registered = f", registered as {version.name} version {version.version}" if version else ""
    console.print(f"imported {package.flavor} package {package.digest[:12]}{registered}")


def _set(
    name: str,
    alias_name: str,
    version_ref: str,
    reason: str | None,
    as_json: bool,
    *,
    force: bool = False,
) -> None:
    change = lm.set_alias(name, alias_name, version_ref, reason=reason, force=force)
    if change is None:
        if as_json:
            print_json({"changed": False})
            return
        console.print(f"{name}@{alias_name} already points at version {version_ref}")
        return
    _print_change(change, as_json)


def _print_change(change: lm.AliasChange, as_json: bool) -> None:
    if as_json:
        print_json({"changed": True, **change.to_dict()})
        return
    if change.action == "deleted":
        console.print(
            f"deleted {change.name}@{change.alias} (was version {change.previous_version})"
        )
    elif change.action == "moved":
        console.print(
            f"moved {change.name}@{change.alias}: version {change.previous_version} -> "
            f"{change.version}"
        )
    else:
        console.print(f"set {change.name}@{change.alias} -> version {change.version}")


def _version_table(found: list[lm.ModelVersion], title: str) -> None:
    rows = [
        (
            mv.version,
            ", ".join(mv.aliases) or "-",
            mv.flavor,
            (mv.run_id or "-")[:12],
            mv.digest[:12],
            format_ms(mv.created_at),
            mv.description,
        )
        for mv in found
    ]
    columns = ["version", "aliases", "flavor", "run", "digest", "created (UTC)", "description"]
    print_table(title, columns, rows)


def _aliases(aliases: dict[str, int]) -> str:
    return ", ".join(f"{a}={v}" for a, v in sorted(aliases.items())) or "-"


def _pairs(items: list[str] | None) -> dict[str, str]:
    out = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise typer.BadParameter(f"{item!r} is not KEY=VALUE")
        out[key] = value
    return out

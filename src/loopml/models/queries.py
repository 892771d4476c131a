"""Registry reads: models, versions, aliases and alias history as frozen dataclasses."""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from loopml.models.entities import AliasChange, ModelAlias, ModelVersion, RegisteredModel
from loopml.models.errors import AliasNotFound, ModelNotFound, ModelVersionNotFound
from loopml.models.signatures import Signature
from loopml.store.tables import models as m

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from loopml.store import Database

_LISTED = 20


def require_model(conn: Connection, db: Database, name: str) -> Any:
    """Return the ``registered_models`` row of ``name`` or raise :class:`ModelNotFound`."""
    row = conn.execute(
        select(m.registered_models).where(m.registered_models.c.name == name)
    ).first()
    if row is None:
        raise model_not_found(conn, db, name)
    return row


def model_not_found(conn: Connection, db: Database, name: str) -> ModelNotFound:
    """Build the error for an unknown model, listing registered ones."""
    names = list(
        conn.execute(
            select(m.registered_models.c.name).order_by(m.registered_models.c.name).limit(_LISTED)
        ).scalars()
    )
    known = ", ".join(repr(n) for n in names) if names else "none yet"
    return ModelNotFound(
        f"no registered model {name!r} in {db.safe_url}. Registered models: {known}. "
        f"Register one with lm.register_model(ref, {name!r})."
    )


def version_not_found(
    conn: Connection, db: Database, name: str, version: int
) -> ModelVersionNotFound:
    """Build the error for an unknown version, listing the model's versions."""
    require_model(conn, db, name)
    numbers = list(
        conn.execute(
            select(m.model_versions.c.version)
            .where(m.model_versions.c.name == name)
            .order_by(m.model_versions.c.version)
        ).scalars()
    )
    return ModelVersionNotFound(
        f"model {name!r} has no version {version}; its versions are {_ranges(numbers)}"
    )


def alias_not_found(conn: Connection, name: str, alias: str) -> AliasNotFound:
    """Build the error for an unknown alias, listing the model's aliases."""
    rows = conn.execute(
        select(m.model_aliases.c.alias, m.model_aliases.c.version)
        .where(m.model_aliases.c.name == name)
        .order_by(m.model_aliases.c.alias)
    ).all()
    known = ", ".join(f"{a} -> {v}" for a, v in rows) if rows else "none"
    return AliasNotFound(
        f"model {name!r} has no alias {alias!r} (its aliases: {known}). "
        f"Set it with lm.set_alias({name!r}, {alias!r}, VERSION) or "
        f"loopml models set-alias {name} {alias} VERSION."
    )


def resolve_alias(conn: Connection, db: Database, name: str, alias: str) -> Any:
    """Return the ``model_versions`` row an alias points at (one indexed join)."""
    v, a = m.model_versions, m.model_aliases
    row = conn.execute(
        select(v)
        .join(a, (a.c.name == v.c.name) & (a.c.version == v.c.version))
        .where(a.c.name == name, a.c.alias == alias)
    ).first()
    if row is None:
        require_model(conn, db, name)
        raise alias_not_found(conn, name, alias)
    return row


def get_alias(conn: Connection, db: Database, name: str, alias: str) -> ModelAlias:
    """Return where ``alias`` points (one indexed join), or raise naming what exists."""
    v, a = m.model_versions, m.model_aliases
    row = conn.execute(
        select(a.c.version, a.c.updated_at, a.c.updated_by, v.c.digest)
        .join(v, (a.c.name == v.c.name) & (a.c.version == v.c.version))
        .where(a.c.name == name, a.c.alias == alias)
    ).first()
    if row is None:
        require_model(conn, db, name)
        raise alias_not_found(conn, name, alias)
    return ModelAlias(name, alias, row.version, row.digest, row.updated_at, row.updated_by)


def version_row(conn: Connection, db: Database, name: str, version: int | None) -> Any:
    """Return the row of ``version`` (``None`` = the newest) or raise."""
    v = m.model_versions
    query = select(v).where(v.c.name == name)
    if version is None:
        query = query.order_by(v.c.version.desc()).limit(1)
    else:
        query = query.where(v.c.version == version)
    row = conn.execute(query).first()
    if row is None:
        if version is None:
            require_model(conn, db, name)
            raise ModelVersionNotFound(f"model {name!r} has no versions")
        raise version_not_found(conn, db, name, version)
    return row


def to_version(conn: Connection, row: Any) -> ModelVersion:
    """Build a :class:`ModelVersion` from a row, with its tags and aliases."""
    tags = _version_tags(conn, row.name, [row.version])
    aliases = _aliases(conn, [row.name])
    return _version(row, tags.get(row.version, {}), aliases.get(row.name, {}))


def list_versions(conn: Connection, db: Database, name: str) -> list[ModelVersion]:
    """Return every version of ``name``, newest first."""
    require_model(conn, db, name)
    v = m.model_versions
    rows = conn.execute(select(v).where(v.c.name == name).order_by(v.c.version.desc())).all()
    tags = _version_tags(conn, name, None)
    aliases = _aliases(conn, [name]).get(name, {})
    return [_version(row, tags.get(row.version, {}), aliases) for row in rows]


def get_model(conn: Connection, db: Database, name: str) -> RegisteredModel:
    """Return one registered model with its tags, aliases and version count."""
    row = require_model(conn, db, name)
    return _models(conn, [row])[0]


def list_models(conn: Connection, name_contains: str | None = None) -> list[RegisteredModel]:
    """Return registered models by name, optionally those whose name contains a text."""
    rm = m.registered_models
    query = select(rm).order_by(rm.c.name)
    if name_contains:
        query = query.where(rm.c.name.contains(name_contains, autoescape=True))
    return _models(conn, conn.execute(query).all())


def history(
    conn: Connection, db: Database, name: str, alias: str | None = None
) -> list[AliasChange]:
    """Return the alias history of a model (or one alias), oldest first."""
    require_model(conn, db, name)
    h = m.model_alias_history
    query = select(h).where(h.c.name == name).order_by(h.c.id)
    if alias is not None:
        query = query.where(h.c.alias == alias)
    return [
        AliasChange(
            r.id, r.name, r.alias, r.action, r.version, r.previous_version, r.at, r.by, r.reason
        )
        for r in conn.execute(query)
    ]


def _models(conn: Connection, rows: Sequence[Any]) -> list[RegisteredModel]:
    names = [r.name for r in rows]
    if not names:
        return []
    aliases = _aliases(conn, names)
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    for name, key, value in conn.execute(
        select(m.model_tags.c.name, m.model_tags.c.key, m.model_tags.c.value).where(
            m.model_tags.c.name.in_(names)
        )
    ):
        tags[name][key] = value
    counts: dict[str, int] = dict(
        conn.execute(
            select(m.model_versions.c.name, func.count())
            .where(m.model_versions.c.name.in_(names))
            .group_by(m.model_versions.c.name)
        ).all()
    )
    return [
        RegisteredModel(
            r.name,
            r.description,
            r.latest_version,
            r.created_at,
            r.updated_at,
            r.created_by,
            tags.get(r.name, {}),
            {a: v for a, v in sorted(aliases.get(r.name, {}).items())},
            int(counts.get(r.name, 0)),
        )
        for r in rows
    ]


def _aliases(conn: Connection, names: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = defaultdict(dict)
    a = m.model_aliases
    for name, alias, version in conn.execute(
        select(a.c.name, a.c.alias, a.c.version).where(a.c.name.in_(names))
    ):
        out[name][alias] = version
    return out


def _version_tags(
    conn: Connection, name: str, versions: list[int] | None
) -> dict[int, dict[str, str]]:
    t = m.model_version_tags
    query = select(t.c.version, t.c.key, t.c.value).where(t.c.name == name)
    if versions is not None:
        query = query.where(t.c.version.in_(versions))
    out: dict[int, dict[str, str]] = defaultdict(dict)
    for version, key, value in conn.execute(query):
        out[version][key] = value
    return out


def _version(row: Any, tags: dict[str, str], aliases: dict[str, int]) -> ModelVersion:
    return ModelVersion(
        name=row.name,
        version=row.version,
        run_id=row.run_id,
        digest=row.digest,
        flavor=row.flavor,
        signature=Signature.from_dict(row.signature) if row.signature else None,
        created_at=row.created_at,
        description=row.description,
        tags=dict(tags),
        aliases=tuple(sorted(a for a, v in aliases.items() if v == row.version)),
        source=row.source,
        created_by=row.created_by,
        metrics=dict(row.metrics or {}),
    )


def _ranges(numbers: list[int]) -> str:
    if not numbers:
        return "none (register one first)"
    spans: list[str] = []
    start = prev = numbers[0]
    for n in [*numbers[1:], None]:
        if n is not None and n == prev + 1:
            prev = n
            continue
        spans.append(str(start) if start == prev else f"{start}-{prev}")
        if n is not None:
            start = prev = n
    return ", ".join(spans)

"""Registry writes: versions, aliases (with their append-only history), descriptions, tags.

Every write is one transaction that first locks the registered model's row, so
concurrent registrations get distinct version numbers and the alias history records
the true previous version, on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from loopml._utils.clock import now_ms
from loopml.errors import Conflict, InvalidInput
from loopml.models import queries as q
from loopml.models.entities import AliasChange, ModelVersion
from loopml.models.errors import SignatureChanged
from loopml.models.uris import check_alias, check_name
from loopml.store.lineage import Edge, Node, record_edges
from loopml.store.tables import models as m, tracking as t

if TYPE_CHECKING:
    from collections.abc import Mapping

    from sqlalchemy import Connection

    from loopml.models.signatures import Signature
    from loopml.store import Store

logger = logging.getLogger(__name__)

MAX_TAG_VALUE = 5000


@dataclass(frozen=True, slots=True)
class NewVersion:
    """What a registration records: the package and where it came from."""

    digest: str
    flavor: str
    signature: Signature | None
    run_id: str | None
    source: str


def register(
    store: Store,
    name: str,
    new: NewVersion,
    *,
    by: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> ModelVersion:
    """Add the next version of ``name`` (created if new) in one transaction."""
    check_name(name)
    tag_rows = _tag_rows(tags or {})
    db, now = store.db, now_ms()
    with db.write() as conn:
        conn.execute(
            db.upsert(m.registered_models, ["name"], []),
            {
                "name": name,
                "latest_version": 0,
                "created_at": now,
                "updated_at": now,
                "created_by": by,
            },
        )
        version = conn.execute(
            update(m.registered_models)
            .where(m.registered_models.c.name == name)
            .values(latest_version=m.registered_models.c.latest_version + 1, updated_at=now)
            .returning(m.registered_models.c.latest_version)
        ).scalar_one()
        conn.execute(
            insert(m.model_versions).values(
                name=name,
                version=version,
                digest=new.digest,
                flavor=new.flavor,
                signature=new.signature.to_dict() if new.signature else None,
                run_id=new.run_id,
                source=new.source[:1024],
                description=description,
                metrics=_metrics_snapshot(conn, new.run_id),
                created_at=now,
                created_by=by,
            )
        )
        if tag_rows:
            conn.execute(
                insert(m.model_version_tags),
                [{"name": name, "version": version, **row} for row in tag_rows],
            )
        record_edges(store, _edges(name, version, new), conn)
        row = q.version_row(conn, db, name, version)
        created = q.to_version(conn, row)
    logger.info("registered %s version %d (%s)", name, version, new.source)
    return created


def set_alias(
    store: Store,
    name: str,
    alias: str,
    version: int,
    *,
    by: str,
    reason: str | None = None,
    force: bool = False,
) -> AliasChange | None:
    """Point ``alias`` at ``version``; return the history entry (``None`` if unchanged).

    Raises:
        SignatureChanged: the alias points at a version with other input columns or types
            and ``force`` is false (servers following the alias would refuse the swap).
    """
    check_alias(alias)
    db, now = store.db, now_ms()
    a = m.model_aliases
    with db.write() as conn:
        _lock_model(conn, store, name)
        target = q.version_row(conn, db, name, version)
        previous = conn.execute(
            select(a.c.version).where(a.c.name == name, a.c.alias == alias)
        ).scalar_one_or_none()
        if previous == version:
            return None
        if previous is not None and not force:
            current = q.version_row(conn, db, name, previous)
            check_same_inputs(name, alias, current, target)
        row = {
            "name": name,
            "alias": alias,
            "version": version,
            "updated_at": now,
            "updated_by": by,
        }
        conn.execute(db.upsert(a, ["name", "alias"], ["version", "updated_at", "updated_by"]), row)
        action = "set" if previous is None else "moved"
        change = _append_history(conn, name, alias, action, version, previous, now, by, reason)
    logger.info("alias %s@%s -> version %d (was %s) by %s", name, alias, version, previous, by)
    return change


def input_columns(signature: Any) -> list[tuple[str, str]] | None:
    """Return a stored signature's inputs as ``(name, dtype)`` pairs (``None``: no signature)."""
    if not signature:
        return None
    return [(str(c["name"]), str(c["dtype"])) for c in signature.get("inputs", [])]


def check_same_inputs(name: str, alias: str, current: Any, target: Any) -> None:
    """Raise :class:`SignatureChanged` when two version rows take different inputs."""
    before, after = input_columns(current.signature), input_columns(target.signature)
    if before == after:
        return
    raise SignatureChanged(
        f"{name}@{alias} points at version {current.version}, whose inputs are "
        f"{_describe(before)}; version {target.version} takes {_describe(after)}. Servers "
        "following the alias would refuse to swap (their clients send the old columns). Move "
        "it anyway with force=True (loopml models set-alias --force) and restart the servers, "
        "or register a version with the same inputs"
    )


def _describe(columns: list[tuple[str, str]] | None) -> str:
    if columns is None:
        return "unknown (no signature)"
    shown = [f"{n} ({d})" for n, d in columns[:6]]
    return "[" + ", ".join(shown) + (", ..." if len(columns) > 6 else "") + "]"


def delete_alias(
    store: Store, name: str, alias: str, *, by: str, reason: str | None = None
) -> AliasChange:
    """Remove ``alias``; return the history entry."""
    db, now = store.db, now_ms()
    a = m.model_aliases
    with db.write() as conn:
        _lock_model(conn, store, name)
        previous = conn.execute(
            select(a.c.version).where(a.c.name == name, a.c.alias == alias)
        ).scalar_one_or_none()
        if previous is None:
            raise q.alias_not_found(conn, name, alias)
        conn.execute(delete(a).where(a.c.name == name, a.c.alias == alias))
        change = _append_history(conn, name, alias, "deleted", None, previous, now, by, reason)
    logger.info("alias %s@%s deleted (was version %d) by %s", name, alias, previous, by)
    return change


def update_description(
    store: Store, name: str, version: int | None, description: str | None
) -> None:
    """Set the description of a model (``version=None``) or of one version."""
    with store.db.write() as conn:
        _lock_model(conn, store, name)
        if version is None:
            conn.execute(
                update(m.registered_models)
                .where(m.registered_models.c.name == name)
                .values(description=description, updated_at=now_ms())
            )
            return
        q.version_row(conn, store.db, name, version)
        conn.execute(
            update(m.model_versions)
            .where(m.model_versions.c.name == name, m.model_versions.c.version == version)
            .values(description=description)
        )


def set_tags(store: Store, name: str, version: int | None, tags: Mapping[str, object]) -> None:
    """Set tags on a model (``version=None``) or on one version."""
    rows = _tag_rows(tags)
    db = store.db
    with db.write() as conn:
        _lock_model(conn, store, name)
        if version is None:
            stmt = db.upsert(m.model_tags, ["name", "key"], ["value"])
            conn.execute(stmt, [{"name": name, **r} for r in rows])
            return
        q.version_row(conn, db, name, version)
        stmt = db.upsert(m.model_version_tags, ["name", "version", "key"], ["value"])
        conn.execute(stmt, [{"name": name, "version": version, **r} for r in rows])


def delete_tag(store: Store, name: str, version: int | None, key: str) -> None:
    """Delete a tag of a model or version (a missing tag is not an error)."""
    with store.db.write() as conn:
        _lock_model(conn, store, name)
        if version is None:
            conn.execute(
                delete(m.model_tags).where(m.model_tags.c.name == name, m.model_tags.c.key == key)
            )
            return
        vt = m.model_version_tags
        conn.execute(delete(vt).where(vt.c.name == name, vt.c.version == version, vt.c.key == key))


def delete_version(store: Store, name: str, version: int) -> None:
    """Delete a version that no alias points at (its number is never reused)."""
    db = store.db
    with db.write() as conn:
        _lock_model(conn, store, name)
        q.version_row(conn, db, name, version)
        aliases = list(
            conn.execute(
                select(m.model_aliases.c.alias).where(
                    m.model_aliases.c.name == name, m.model_aliases.c.version == version
                )
            ).scalars()
        )
        if aliases:
            raise Conflict(
                f"version {version} of {name!r} is still aliased as {sorted(aliases)}; move or "
                "delete those aliases first (lm.set_alias / lm.delete_alias)"
            )
        vt = m.model_version_tags
        conn.execute(delete(vt).where(vt.c.name == name, vt.c.version == version))
        conn.execute(
            delete(m.model_versions).where(
                m.model_versions.c.name == name, m.model_versions.c.version == version
            )
        )
    logger.info("deleted %s version %d", name, version)


def _lock_model(conn: Connection, store: Store, name: str) -> None:
    rm = m.registered_models
    found = conn.execute(
        select(rm.c.name).where(rm.c.name == name).with_for_update()
    ).scalar_one_or_none()
    if found is None:
        raise q.model_not_found(conn, store.db, name)


def _append_history(
    conn: Connection,
    name: str,
    alias: str,
    action: str,
    version: int | None,
    previous: int | None,
    at: int,
    by: str,
    reason: str | None,
) -> AliasChange:
    h = m.model_alias_history
    new_id = conn.execute(
        insert(h)
        .values(
            name=name,
            alias=alias,
            action=action,
            version=version,
            previous_version=previous,
            at=at,
            by=by,
            reason=reason,
        )
        .returning(h.c.id)
    ).scalar_one()
    conn.execute(
        update(m.registered_models).where(m.registered_models.c.name == name).values(updated_at=at)
    )
    return AliasChange(new_id, name, alias, action, version, previous, at, by, reason)


def _tag_rows(tags: Mapping[str, object]) -> list[dict[str, str]]:
    rows = []
    for key, value in tags.items():
        if not isinstance(key, str) or not key or len(key) > 250:
            raise InvalidInput(f"tag key {key!r} must be a non-empty string of at most 250 chars")
        text = str(value)
        if len(text) > MAX_TAG_VALUE:
            raise InvalidInput(
                f"tag {key!r} is {len(text)} characters long; the limit is {MAX_TAG_VALUE}"
            )
        rows.append({"key": key, "value": text})
    return rows


def _metrics_snapshot(conn: Connection, run_id: str | None) -> dict[str, Any] | None:
    if run_id is None:
        return None
    lm_ = t.latest_metrics
    rows = conn.execute(select(lm_.c.key, lm_.c.value).where(lm_.c.run_id == run_id)).all()
    return {key: value for key, value in rows if value is not None and math.isfinite(value)} or None


def _edges(name: str, version: int, new: NewVersion) -> list[Edge]:
    target = Node("model_version", f"{name}/{version}")
    edges = [Edge(Node("model_package", new.digest), "registered_as", target)]
    if new.run_id is not None:
        edges.append(Edge(Node("run", new.run_id), "produced", target))
    return edges

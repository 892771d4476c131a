"""The registry of definitions: versioned entities and feature views in the metadata database.

Applying a definition whose digest differs from the latest version's inserts the next
version; an identical one changes nothing. Old versions stay readable for lineage.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import exc as sa_exc, func, select

from loopml._utils.clock import now_ms
from loopml._utils.hashing import digest_json
from loopml.errors import Conflict
from loopml.features.definitions import Entity, FeatureView
from loopml.features.errors import EntityNotFound, FeatureViewNotFound
from loopml.features.types import key_type
from loopml.store.lineage import Edge, Node, record_edges
from loopml.store.tables import features as t

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Connection, Table

    from loopml.store import Store


#: Lineage node type of a feature view version (node id: ``name/version``).
NODE_TYPE = "feature_view"


@dataclass(frozen=True, slots=True)
class EntityVersion:
    """A registered entity."""

    name: str
    version: int
    entity: Entity
    created_at: int


@dataclass(frozen=True, slots=True)
class ViewVersion:
    """One registered version of a feature view, with the source schema seen at apply.

    Attributes:
        name: the view name.
        version: 1, 2, ... (a changed definition is a new version).
        digest: digest of the definition.
        storage_digest: digest of what the online store holds for it.
        view: the definition, with every feature typed.
        schema: ``{column: DuckDB type}`` of the source columns it reads.
        created_at: when this version was registered (epoch ms).
    """

    name: str
    version: int
    digest: str
    storage_digest: str
    view: FeatureView
    schema: dict[str, str] = field(repr=False)
    created_at: int

    @property
    def namespace(self) -> str:
        """The online-store table of this version's values."""
        return f"{self.name}.{self.storage_digest[:16]}"

    @property
    def keys(self) -> dict[str, str]:
        """``{key column: "int64" | "string"}``."""
        return {k: key_type(self.schema[k], k) for k in self.view.entity}

    @property
    def feature_types(self) -> dict[str, str]:
        """``{feature: type}``."""
        return {f.name: str(f.dtype) for f in self.view.features or ()}


@dataclass(frozen=True, slots=True)
class ApplyChange:
    """What applying one definition did.

    Attributes:
        kind: ``"entity"`` or ``"view"``.
        name: its name.
        version: the version now current.
        action: ``"created"`` (first version), ``"updated"`` (new version) or ``"unchanged"``.
        changed: top-level fields that differ from the previous version.
        needs_materialize: the online values of the new version are not loaded yet.
    """

    kind: str
    name: str
    version: int
    action: str
    changed: tuple[str, ...] = ()
    needs_materialize: bool = False


def apply(
    store: Store,
    entities: Sequence[Entity],
    views: Sequence[tuple[FeatureView, dict[str, str]]],
    *,
    upstream: Mapping[str, Node] | None = None,
    dry_run: bool = False,
) -> list[ApplyChange]:
    """Register entities and resolved views in one transaction; return what changed.

    Each new view version is recorded in lineage as ``feature_view name/version
    --derived_from--> upstream[name]`` (its source), in the same transaction.
    """
    try:
        return _apply(store, entities, views, upstream or {}, dry_run)
    except sa_exc.IntegrityError as err:
        raise Conflict(
            "another process registered a version of the same definitions at the same time; "
            "run apply again (it is idempotent)"
        ) from err


def _apply(
    store: Store,
    entities: Sequence[Entity],
    views: Sequence[tuple[FeatureView, dict[str, str]]],
    upstream: Mapping[str, Node],
    dry_run: bool,
) -> list[ApplyChange]:
    changes: list[ApplyChange] = []
    now = now_ms()
    with store.db.write() as conn:
        for entity in entities:
            changes.append(_apply_entity(conn, entity, now, dry_run))
        edges = []
        for view, schema in views:
            change = _apply_view(conn, view, schema, now, dry_run)
            changes.append(change)
            source = upstream.get(view.name)
            if change.action != "unchanged" and source is not None:
                edges.append(Edge(view_node(view.name, change.version), "derived_from", source))
        if dry_run:
            conn.rollback()
        else:
            record_edges(store, edges, conn)
    return changes


def view_node(name: str, version: int) -> Node:
    """The lineage node of a feature view version (``feature_view``, ``name/version``)."""
    return Node(NODE_TYPE, f"{name}/{version}")


def _apply_entity(conn: Connection, entity: Entity, now: int, dry_run: bool) -> ApplyChange:
    spec = entity.spec()
    digest = digest_json(spec)
    latest = _latest_row(conn, t.feature_entities, entity.name)
    if latest is not None and latest.digest == digest:
        return ApplyChange("entity", entity.name, latest.version, "unchanged")
    version = 1 if latest is None else latest.version + 1
    if not dry_run:
        conn.execute(
            t.feature_entities.insert(),
            {
                "name": entity.name,
                "version": version,
                "digest": digest,
                "spec": spec,
                "created_at": now,
            },
        )
    action = "created" if latest is None else "updated"
    return ApplyChange("entity", entity.name, version, action, _diff(latest, spec))


def _apply_view(
    conn: Connection, view: FeatureView, schema: dict[str, str], now: int, dry_run: bool
) -> ApplyChange:
    spec, digest, storage = view.spec(), view.digest(), view.storage_digest()
    latest = _latest_row(conn, t.feature_views, view.name)
    if latest is not None and latest.digest == digest and latest.source_schema == schema:
        return ApplyChange("view", view.name, latest.version, "unchanged")
    version = 1 if latest is None else latest.version + 1
    if not dry_run:
        conn.execute(
            t.feature_views.insert(),
            {
                "name": view.name,
                "version": version,
                "digest": digest,
                "storage_digest": storage,
                "spec": spec,
                "source_schema": schema,
                "created_at": now,
            },
        )
    action = "created" if latest is None else "updated"
    needs = view.online and (latest is None or latest.storage_digest != storage)
    return ApplyChange("view", view.name, version, action, _diff(latest, spec), needs)


def _diff(latest: Any, spec: dict[str, Any]) -> tuple[str, ...]:
    if latest is None:
        return ()
    old = latest.spec
    return tuple(sorted(k for k in spec if old.get(k) != spec[k]))


def _latest_row(conn: Connection, table: Table, name: str) -> Any:
    stmt = select(table).where(table.c.name == name).order_by(table.c.version.desc()).limit(1)
    return conn.execute(stmt).first()


def _view(row: Any) -> ViewVersion:
    return ViewVersion(
        name=row.name,
        version=row.version,
        digest=row.digest,
        storage_digest=row.storage_digest,
        view=FeatureView.from_spec(row.spec),
        schema=dict(row.source_schema),
        created_at=row.created_at,
    )


def _entity(row: Any) -> EntityVersion:
    return EntityVersion(row.name, row.version, Entity.from_spec(row.spec), row.created_at)


def _latest_rows(conn: Connection, table: Table) -> list[Any]:
    newest = (
        select(table.c.name, func.max(table.c.version).label("version"))
        .group_by(table.c.name)
        .subquery()
    )
    stmt = (
        select(table)
        .join(newest, (table.c.name == newest.c.name) & (table.c.version == newest.c.version))
        .order_by(table.c.name)
    )
    return list(conn.execute(stmt))


def latest_views(store: Store) -> dict[str, ViewVersion]:
    """Return the current version of every view, by name."""
    with store.db.read() as conn:
        return {row.name: _view(row) for row in _latest_rows(conn, t.feature_views)}


def latest_entities(store: Store) -> dict[str, EntityVersion]:
    """Return the current version of every entity, by name."""
    with store.db.read() as conn:
        return {row.name: _entity(row) for row in _latest_rows(conn, t.feature_entities)}


def get_view(store: Store, name: str, version: int | None = None) -> ViewVersion:
    """Return one version of a view (the latest by default).

    Raises:
        FeatureViewNotFound: no such view or version.
    """
    table = t.feature_views
    with store.db.read() as conn:
        if version is None:
            row = _latest_row(conn, table, name)
        else:
            stmt = select(table).where((table.c.name == name) & (table.c.version == version))
            row = conn.execute(stmt).first()
        known = (
            []
            if row is not None
            else sorted(conn.execute(select(table.c.name).distinct()).scalars())
        )
    if row is None:
        what = f"feature view {name!r}" + (f" version {version}" if version else "")
        raise FeatureViewNotFound(
            f"no {what} is registered; registered views: {known or 'none'}. "
            "Register it with fs.apply([...]) or `loopml features apply`"
        )
    return _view(row)


def view_versions(store: Store, name: str) -> list[ViewVersion]:
    """Return every version of a view, oldest first."""
    table = t.feature_views
    with store.db.read() as conn:
        rows = conn.execute(select(table).where(table.c.name == name).order_by(table.c.version))
        found = [_view(row) for row in rows]
    if not found:
        get_view(store, name)  # raises with the list of known views
    return found


def require_entities(store: Store, names: Sequence[str], view: str) -> dict[str, EntityVersion]:
    """Return the registered entities ``names``.

    Raises:
        EntityNotFound: one is not registered.
    """
    known = latest_entities(store)
    for name in names:
        if name not in known:
            raise EntityNotFound(
                f"feature view {view!r} uses entity {name!r}, which is not registered; "
                f"apply lm.Entity({name!r}) with the view (registered: {sorted(known) or 'none'})"
            )
    return {n: known[n] for n in names}


def generation(store: Store) -> tuple[int, int]:
    """Return a cheap fingerprint of the registry (changes whenever anything is applied)."""
    views, entities = t.feature_views, t.feature_entities
    with store.db.read() as conn:
        a = conn.execute(select(func.count(), func.max(views.c.created_at))).one()
        b = conn.execute(select(func.count(), func.max(entities.c.created_at))).one()
    return (int(a[0]) + int(b[0]), max(int(a[1] or 0), int(b[1] or 0)))

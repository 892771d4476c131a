"""Check definitions against their sources before they are registered."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils.hashing import digest_json
from loopml.features.definitions import Entity, FeatureView
from loopml.features.errors import EntityNotFound, InvalidDefinition
from loopml.features.reading import connect, describe, open_relation, resolve_path
from loopml.features.schema import resolve_view
from loopml.features.sources import (
    BlobSource,
    DataFrameSource,
    DatasetSource,
    FileSource,
    SqlSource,
)
from loopml.features.types import key_type
from loopml.store.lineage import Node

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from loopml.features.reading import SourceContext
    from loopml.features.registry import EntityVersion
    from loopml.store import Store

PARQUET = "application/vnd.apache.parquet"
DATASET_NODE = "dataset_version"


def split(objects: Iterable[Entity | FeatureView]) -> tuple[dict[str, Entity], list[FeatureView]]:
    """Separate entities (including those views carry) from views; reject conflicting twins.

    Raises:
        InvalidDefinition: an object is neither, or one name has two different definitions.
    """
    entities: dict[str, Entity] = {}
    views: dict[str, FeatureView] = {}
    for obj in objects:
        if isinstance(obj, FeatureView):
            if obj.name in views and views[obj.name] != obj:
                raise InvalidDefinition(f"feature view {obj.name!r} is defined twice, differently")
            views[obj.name] = obj
            found: Iterable[Entity] = obj.entities
        elif isinstance(obj, Entity):
            found = [obj]
        else:
            raise InvalidDefinition(
                f"apply() takes lm.Entity and lm.FeatureView objects, got {type(obj).__name__}"
            )
        for entity in found:
            if entity.name in entities and entities[entity.name] != entity:
                raise InvalidDefinition(f"entity {entity.name!r} is defined twice, differently")
            entities[entity.name] = entity
    return entities, list(views.values())


def resolve(
    store: Store,
    ctx: SourceContext,
    view: FeatureView,
    entities: Mapping[str, Entity],
    known: Mapping[str, EntityVersion],
    dry_run: bool,
) -> tuple[FeatureView, dict[str, str]]:
    """Check ``view`` against its source; return it typed, with its source schema.

    A DataFrame source is snapshotted into the artifact store (unless ``dry_run``) and the
    returned view reads the snapshot.

    Raises:
        EntityNotFound: the view names an entity that is neither registered nor applied.
        InvalidDefinition, SourceError: the view does not fit its source.
    """
    for name in view.entity:
        if name not in entities and name not in known:
            raise EntityNotFound(
                f"feature view {view.name!r} uses entity {name!r}, which is not registered; "
                f"apply lm.Entity({name!r}) with the view"
            )
    source = view.source
    if isinstance(source, DataFrameSource) and not dry_run:
        # Registered views read the parquet snapshot, so check the snapshot's schema.
        store.put_blob(source.parquet_bytes(), PARQUET)
        source = BlobSource(source.digest())
    con = connect()
    try:
        stamps = [view.timestamp, *([view.created_timestamp] if view.created_timestamp else [])]
        relation = open_relation(con, source, ctx, view.name, stamps)
        typed, schema = resolve_view(view, describe(con, relation, view.name))
    finally:
        con.close()
    for name in view.entity:
        declared = entities[name].dtype if name in entities else known[name].entity.dtype
        _check_entity_type(view.name, name, declared, schema[name])
    if isinstance(view.source, DataFrameSource):
        typed = typed.with_features(typed.features or (), BlobSource(view.source.digest()))
    return typed, schema


def source_node(view: FeatureView, ctx: SourceContext) -> Node:
    """Return the lineage node of what a (resolved) view reads."""
    source = view.source
    if isinstance(source, BlobSource):
        return Node("blob", source.digest)
    if isinstance(source, FileSource):
        return Node("file", resolve_path(source.path, ctx.base_dir))
    if isinstance(source, DatasetSource):
        if source.version is not None:
            return Node(DATASET_NODE, f"{source.name}/{source.version}")
        if ctx.dataset_path is None:
            return Node("dataset", source.name)
        return Node(DATASET_NODE, ctx.dataset_path(source.name, None)[1])
    if isinstance(source, SqlSource):
        return Node("sql_query", digest_json(source.spec())[:16])
    return Node("blob", source.digest())


def _check_entity_type(view: str, entity: str, declared: str | None, column_type: str) -> None:
    actual = key_type(column_type, entity)
    if declared is not None and declared != actual:
        raise InvalidDefinition(
            f"feature view {view!r}: entity {entity!r} is declared {declared} but the source "
            f"column has type {column_type} ({actual}); fix the entity dtype or the source"
        )

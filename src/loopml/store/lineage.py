"""Write side of lineage: typed edges between anything in the metadata graph.

An edge reads ``(src_type, src_id) --relation--> (dst_type, dst_id)``, for example
``run r1 --used--> dataset_version customers/3`` or
``run r1 --produced--> model_version churn/4``. Queries live in :mod:`loopml.lineage`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import now_ms
from loopml.errors import InvalidInput
from loopml.store.tables import core

if TYPE_CHECKING:
    from collections.abc import Iterable

    from sqlalchemy import Connection

    from loopml.store import Store

#: Relations understood by lineage queries and the OpenLineage export.
RELATIONS = frozenset(
    {"used", "produced", "trained_on", "served_by", "derived_from", "registered_as", "part_of"}
)


@dataclass(frozen=True, slots=True)
class Node:
    """One node of the metadata graph: a type (``run``, ``dataset_version``...) and an id."""

    type: str
    id: str


@dataclass(frozen=True, slots=True)
class Edge:
    """A typed edge ``src --relation--> dst`` with optional attributes."""

    src: Node
    relation: str
    dst: Node
    attributes: dict[str, Any] = field(default_factory=dict)


def record_edges(store: Store, edges: Iterable[Edge], conn: Connection | None = None) -> None:
    """Record edges (idempotent: an existing identical edge is kept as is).

    Args:
        store: the store to write to.
        edges: the edges.
        conn: write inside this transaction instead of opening a new one.

    Raises:
        InvalidInput: a relation is not one of :data:`RELATIONS`.
    """
    rows = [_row(edge) for edge in edges]
    if not rows:
        return
    stmt = store.db.upsert(
        core.lineage_edges, ["src_type", "src_id", "relation", "dst_type", "dst_id"], []
    )
    if conn is not None:
        conn.execute(stmt, rows)
        return
    with store.db.write() as own:
        own.execute(stmt, rows)


def _row(edge: Edge) -> dict[str, Any]:
    if edge.relation not in RELATIONS:
        raise InvalidInput(
            f"unknown lineage relation {edge.relation!r}; use one of {sorted(RELATIONS)}"
        )
    return {
        "src_type": edge.src.type,
        "src_id": edge.src.id,
        "relation": edge.relation,
        "dst_type": edge.dst.type,
        "dst_id": edge.dst.id,
        "created_at": now_ms(),
        "attributes": edge.attributes or None,
    }

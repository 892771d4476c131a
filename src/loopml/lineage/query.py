"""One query path for lineage: walk the metadata graph up and down from any node.

Each level of the walk costs one query over ``lineage_edges`` (both ends indexed) plus one
query per node type for the facts (:mod:`loopml.lineage.facts`), so a typical answer
(prediction -> deployment -> model -> run -> data, code, environment) takes a handful
of indexed reads whatever the size of the store.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select, tuple_

from loopml.lineage import facts
from loopml.lineage.graph import Lineage, LineageEdge, LineageNode, key
from loopml.store.tables import core, tracking as tt

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.lineage.graph import Direction
    from loopml.lineage.predictions import PredictionIndex
    from loopml.store import Store

MAX_NODES = 2000


def walk(
    store: Store,
    root: LineageNode,
    extra_edges: list[LineageEdge],
    extra_nodes: list[LineageNode],
    *,
    direction: Direction = "both",
    depth: int = 25,
    index: PredictionIndex | None = None,
) -> Lineage:
    """Return the lineage of ``root`` (already described) up to ``depth`` levels each way."""
    graph = Lineage(root.key, nodes={root.key: root})
    for node in extra_nodes:
        graph.nodes.setdefault(node.key, node)
    pending = list(extra_edges)
    with store.db.read() as conn:
        for way in ("upstream", "downstream"):
            if direction in (way, "both"):
                _walk_one_way(conn, graph, way, pending, depth, index)
    return graph


def _walk_one_way(
    conn: Connection,
    graph: Lineage,
    way: str,
    pending: list[LineageEdge],
    depth: int,
    index: PredictionIndex | None,
) -> None:
    frontier = {graph.root}
    seen = {graph.root}
    known = {(e.src, e.relation, e.dst) for e in graph.edges}
    reached = graph.upstream if way == "upstream" else graph.downstream
    column_edges = list(pending)
    for _ in range(depth):
        if not frontier or len(graph.nodes) > MAX_NODES:
            break
        candidates = column_edges + _stored_edges(conn, frontier)
        candidates += [e for e in pending if e not in candidates]
        if way == "downstream":
            candidates += _child_runs(conn, frontier) + _deployments(graph, frontier, index)
        following: set[str] = set()
        for edge in candidates:
            cause, effect = edge.cause_and_effect()
            near, far = (effect, cause) if way == "upstream" else (cause, effect)
            if near not in frontier:
                continue
            if (edge.src, edge.relation, edge.dst) not in known:
                known.add((edge.src, edge.relation, edge.dst))
                graph.edges.append(edge)
            if far not in seen:
                seen.add(far)
                following.add(far)
        described, column_edges = _describe(conn, graph, following)
        column_edges += [e for e in candidates if e not in column_edges and e in pending]
        reached.extend(sorted(described))
        frontier = following


def _describe(
    conn: Connection, graph: Lineage, keys: set[str]
) -> tuple[list[str], list[LineageEdge]]:
    by_type: dict[str, list[str]] = {}
    for node_key in keys:
        node_type, _, node_id = node_key.partition(":")
        by_type.setdefault(node_type, []).append(node_id)
    edges: list[LineageEdge] = []
    for node_type, ids in by_type.items():
        nodes, found = facts.describe(conn, node_type, ids)
        for node in nodes:
            if node.key not in graph.nodes or node.attributes:
                graph.nodes[node.key] = node
        edges += found
        missing = set(ids) - {n.id for n in nodes if n.type == node_type}
        for node_id in missing:  # recorded in an edge, gone from its table (deleted)
            graph.nodes[key(node_type, node_id)] = LineageNode(
                node_type,
                node_id,
                f"{node_type.replace('_', ' ')} {node_id} (not found)",
                {"missing": True},
            )
    return list(keys), edges


#: Node types made up from columns or the prediction log: no stored edge names them.
_DERIVED = frozenset({"prediction", "deployment", "git_commit", "git_diff", "environment", "alias"})


def _stored_edges(conn: Connection, frontier: set[str]) -> list[LineageEdge]:
    pairs = [tuple(k.split(":", 1)) for k in frontier]
    pairs = [p for p in pairs if p[0] not in _DERIVED]
    if not pairs:
        return []
    edges_table = core.lineage_edges
    rows = conn.execute(
        select(
            edges_table.c.src_type,
            edges_table.c.src_id,
            edges_table.c.relation,
            edges_table.c.dst_type,
            edges_table.c.dst_id,
        ).where(
            tuple_(edges_table.c.src_type, edges_table.c.src_id).in_(pairs)
            | tuple_(edges_table.c.dst_type, edges_table.c.dst_id).in_(pairs)
        )
    ).all()
    return [LineageEdge(key(r[0], r[1]), r[2], key(r[3], r[4])) for r in rows]


def _child_runs(conn: Connection, frontier: set[str]) -> list[LineageEdge]:
    runs = [k.split(":", 1)[1] for k in frontier if k.startswith("run:")]
    if not runs:
        return []
    rows = conn.execute(
        select(tt.runs.c.id, tt.runs.c.parent_id).where(tt.runs.c.parent_id.in_(runs))
    ).all()
    return [LineageEdge(key("run", r.id), "part_of", key("run", r.parent_id)) for r in rows]


def _deployments(
    graph: Lineage, frontier: set[str], index: PredictionIndex | None
) -> list[LineageEdge]:
    if index is None:
        return []
    edges = []
    for node_key in frontier:
        node = graph.nodes.get(node_key)
        if node is None or node.type != "model_version" or "version" not in node.attributes:
            continue
        found = index.deployments_of(node.attributes["name"], int(node.attributes["version"]))
        for deployment, rows in found.items():
            deployment_key = key("deployment", deployment)
            graph.nodes.setdefault(
                deployment_key,
                LineageNode(
                    "deployment",
                    deployment,
                    f"deployment {deployment}",
                    {"logged_rows_at_most": rows},
                ),
            )
            edges.append(LineageEdge(node_key, "served_by", deployment_key))
    return edges

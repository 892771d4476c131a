"""The answer of a lineage query: nodes with their facts and the typed edges between them.

A node key reads ``type:id`` (``run:4f2c...``, ``model_version:churn/3``,
``dataset_version:customers/2``). Edges keep the direction they were recorded with
(``run --produced--> model_version``); :data:`UPSTREAM_OF_SRC` says which end is the
cause, so a walk knows which way is "upstream".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Direction = Literal["upstream", "downstream", "both"]

#: Relations whose destination depends on the source (``run --produced--> model``).
FORWARD = frozenset({"produced", "registered_as", "served_by", "answered", "captured", "aliased"})
#: Relations whose source depends on the destination (``run --used--> dataset``).
BACKWARD = frozenset({"used", "trained_on", "derived_from", "part_of", "ran", "executed"})


def key(node_type: str, node_id: str) -> str:
    """Return the key of a node (``type:id``)."""
    return f"{node_type}:{node_id}"


@dataclass(frozen=True, slots=True)
class LineageNode:
    """One node: its type, id, a short label and the facts recorded about it."""

    type: str
    id: str
    label: str
    attributes: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        """``type:id``."""
        return key(self.type, self.id)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"type": self.type, "id": self.id, "label": self.label, **self.attributes}


@dataclass(frozen=True, slots=True)
class LineageEdge:
    """``src --relation--> dst`` between two node keys."""

    src: str
    relation: str
    dst: str

    def cause_and_effect(self) -> tuple[str, str]:
        """Return ``(upstream key, downstream key)``."""
        return (self.dst, self.src) if self.relation in BACKWARD else (self.src, self.dst)

    def to_dict(self) -> dict[str, str]:
        """JSON-ready form."""
        return {"src": self.src, "relation": self.relation, "dst": self.dst}


@dataclass(slots=True)
class Lineage:
    """Where something came from (upstream) and what came of it (downstream).

    Attributes:
        root: key of the node the query started from.
        nodes: every node reached, by key.
        edges: every edge walked.
        upstream: keys of the nodes upstream of the root, nearest first.
        downstream: keys of the nodes downstream of the root, nearest first.
    """

    root: str
    nodes: dict[str, LineageNode] = field(default_factory=dict)
    edges: list[LineageEdge] = field(default_factory=list)
    upstream: list[str] = field(default_factory=list)
    downstream: list[str] = field(default_factory=list)

    @property
    def root_node(self) -> LineageNode:
        """The node the query started from."""
        return self.nodes[self.root]

    def of_type(self, node_type: str) -> list[LineageNode]:
        """Return the nodes of one type (``run``, ``dataset_version``...), nearest first."""
        ordered = [self.root, *self.upstream, *self.downstream]
        return [
            self.nodes[k] for k in ordered if k in self.nodes and self.nodes[k].type == node_type
        ]

    def parents(self, node_key: str) -> list[str]:
        """Return the keys directly upstream of ``node_key``."""
        found = []
        for edge in self.edges:
            cause, effect = edge.cause_and_effect()
            if effect == node_key and cause not in found:
                found.append(cause)
        return found

    def children(self, node_key: str) -> list[str]:
        """Return the keys directly downstream of ``node_key``."""
        found = []
        for edge in self.edges:
            cause, effect = edge.cause_and_effect()
            if cause == node_key and effect not in found:
                found.append(effect)
        return found

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (what ``loopml lineage ID --json`` prints)."""
        return {
            "root": self.root,
            "nodes": {k: n.to_dict() for k, n in self.nodes.items()},
            "edges": [e.to_dict() for e in self.edges],
            "upstream": list(self.upstream),
            "downstream": list(self.downstream),
        }

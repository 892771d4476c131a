"""Lineage: where a prediction, model or dataset came from, and what came of it.

The write side lives in :mod:`loopml.store.lineage` (every component records edges);
this package reads the whole graph: queries, OpenLineage export, reproduction, diffs,
staleness.
"""

from __future__ import annotations

from loopml.lineage.api import Lineages
from loopml.lineage.errors import AmbiguousReference, LineageNotFound, NotReproducible
from loopml.lineage.graph import Lineage, LineageEdge, LineageNode

__all__ = [
    "AmbiguousReference",
    "Lineage",
    "LineageEdge",
    "LineageNode",
    "LineageNotFound",
    "Lineages",
    "NotReproducible",
]

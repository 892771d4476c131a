"""Lineage: where a prediction, model or dataset came from, and what came of it.

The write side lives in :mod:`loopml.store.lineage` (every component records edges);
this package reads the whole graph: queries, OpenLineage export, reproduction, diffs,
staleness.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.lineage.api import Lineages as Lineages
    from loopml.lineage.errors import (
        AmbiguousReference as AmbiguousReference,
        LineageNotFound as LineageNotFound,
        NotReproducible as NotReproducible,
    )
    from loopml.lineage.graph import (
        Lineage as Lineage,
        LineageEdge as LineageEdge,
        LineageNode as LineageNode,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

"""The lineage API of one store: ``Lineages(store).get("churn@champion")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.lineage.predictions import PredictionIndex
from loopml.lineage.query import walk
from loopml.lineage.resolve import resolve
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from loopml.lineage.graph import Direction, Lineage
    from loopml.store import Store


class Lineages:
    """Lineage queries over one :class:`~loopml.store.Store` and its prediction log.

    Args:
        store: the store to query.
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        cache = store.home / "cache" / "lineage" / "prediction-index.json" if store.home else None
        self.predictions = PredictionIndex(EventLog.from_store(store), cache)

    def __repr__(self) -> str:
        return f"Lineages({self.store!r})"

    def get(self, reference: str, *, direction: Direction = "both", depth: int = 25) -> Lineage:
        """Return where ``reference`` came from and what came of it.

        Args:
            reference: a prediction id, a run id, a pipeline run id, ``churn@champion``,
                ``churn/3`` or ``models:/churn/3``, ``datasets:/customers/2``, or a
                dataset version's sha256.
            direction: ``upstream``, ``downstream`` or ``both``.
            depth: how many edges to follow each way.

        Returns:
            The :class:`~loopml.lineage.graph.Lineage` graph.

        Raises:
            LineageNotFound: nothing has this id.
            AmbiguousReference: ``name/N`` is both a model and a dataset version.
        """
        root, edges, nodes = resolve(self.store, reference, self.predictions)
        return walk(
            self.store, root, edges, nodes, direction=direction, depth=depth, index=self.predictions
        )

"""The lineage API of one store: ``Lineages(store).get("churn@champion")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.lineage import diff as diffs, status as statuses
from loopml.lineage.predictions import PredictionIndex
from loopml.lineage.query import walk
from loopml.lineage.resolve import resolve
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from loopml.lineage.diff import Comparison
    from loopml.lineage.graph import Direction, Lineage
    from loopml.lineage.status import StatusReport
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

    def diff(self, a: str, b: str) -> Comparison:
        """Compare two runs, model versions or dataset versions side by side.

        Args:
            a: a run id, a model version (``churn/3``, ``churn@champion``) or a dataset
                version (``datasets:/customers/2``).
            b: the other one, of the same kind.

        Returns:
            A :class:`~loopml.lineage.diff.Comparison`: code, environment (package lock),
            data, params and metrics (model facts or dataset schema where they apply).

        Raises:
            LineageNotFound: a reference names nothing, or the two are of different kinds.
        """
        return diffs.compare(self.store, a, b, self.predictions)

    def status(self) -> StatusReport:
        """Return what is stale: pipelines, monitors, deployments, open alerts.

        Returns:
            A :class:`~loopml.lineage.status.StatusReport` (each item says what to do).
        """
        return statuses.status(self.store, self.predictions)

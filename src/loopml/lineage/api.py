"""The lineage API of one store: ``Lineages(store).get("churn@champion")``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.lineage import diff as diffs, reproduce as reproducing, status as statuses
from loopml.lineage.errors import NotReproducible
from loopml.lineage.predictions import PredictionIndex
from loopml.lineage.query import walk
from loopml.lineage.resolve import resolve
from loopml.store.events import EventLog

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.lineage.diff import Comparison
    from loopml.lineage.graph import Direction, Lineage
    from loopml.lineage.reproduce import Reproduction
    from loopml.lineage.status import StatusReport
    from loopml.store import Store


class Lineages:
    """Lineage queries over one :class:`~loopml.store.Store` and its prediction log.

    Args:
        store: the store to query.
    """

    def __init__(self, store: Store, settings: Settings | None = None) -> None:
        self.store = store
        self.settings = settings
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

    def reproduce(
        self, run_id: str, *, tolerance: float = 1e-6, fresh_env: bool = False
    ) -> Reproduction:
        """Rebuild a run's code and environment, run it again and compare.

        Args:
            run_id: the run to reproduce.
            tolerance: relative and absolute tolerance of metric comparisons.
            fresh_env: always build a new virtual environment from the lock (default: reuse
                this interpreter when its packages match the lock).

        Returns:
            A :class:`~loopml.lineage.reproduce.Reproduction`: the new run and every difference.

        Raises:
            NotReproducible: what is missing (commit, diff, lock, datasets), listed before any
                work starts, or the re-run failed.
        """
        if self.settings is None:
            raise NotReproducible("reproduce needs the client's settings; use lm.reproduce")
        return reproducing.reproduce(
            self.store, self.settings, run_id, tolerance=tolerance, fresh_env=fresh_env
        )

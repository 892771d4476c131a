"""Shadow scoring: a copy of each request's rows, scored later in bulk, logged, never returned.

The request path only appends the validated rows to a list. The prediction-log thread
drains the list at each flush and scores it in one call of the shadow model, so a
shadow costs the primary path almost nothing and its failures are only counted.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from loopml.store.predlog.writer import Entry

if TYPE_CHECKING:
    from loopml.serving.metrics import ServingMetrics
    from loopml.serving.runtime import Route, Served

logger = logging.getLogger(__name__)


class _Copy(NamedTuple):
    ids: list[str]
    time_ms: int
    x: np.ndarray
    columns: tuple[str, ...]


class ShadowQueue:
    """Rows waiting for the shadow model.

    Args:
        route: the shadow route (its current version scores the copies).
        metrics: failures are counted in ``shadow_errors``.
        max_rows: most rows kept while the shadow cannot keep up (older copies are dropped).
    """

    def __init__(
        self, route: Route, metrics: ServingMetrics | None = None, max_rows: int = 1_000_000
    ) -> None:
        self.route = route
        self.metrics = metrics
        self.max_rows = max_rows
        self._copies: list[_Copy] = []
        self._rows = 0

    def add(self, ids: list[str], time_ms: int, x: np.ndarray, columns: tuple[str, ...]) -> None:
        """Queue a copy of scored rows (cheap; called on the request path)."""
        self._copies.append(_Copy(ids, time_ms, x, columns))
        self._rows += len(ids)
        if self._rows > self.max_rows:
            dropped = self._copies.pop(0)
            self._rows -= len(dropped.ids)
            self._fail(len(dropped.ids))

    def drain(self) -> list[Entry]:
        """Score every queued copy with the shadow model; return log entries (shadow=True)."""
        copies, self._copies = self._copies, []
        self._rows = 0
        served = self.route.current
        if not copies or served is None:
            return []
        try:
            x = np.concatenate([self._aligned(c, served.columns) for c in copies])
            started = time.perf_counter()
            predictions, proba = _score(served, x)
            per_row_ms = (time.perf_counter() - started) * 1000.0 / max(len(x), 1)
        except Exception:
            logger.warning("shadow model %s failed; callers are unaffected", served, exc_info=True)
            self._fail(len(x) if "x" in locals() else sum(len(c.ids) for c in copies))
            return []
        if self.metrics is not None:
            self.metrics.batch(served.name, served.label, "shadow", len(x))
        entries = []
        start = 0
        for copy in copies:
            stop = start + len(copy.ids)
            entries.append(
                Entry(
                    ids=copy.ids,
                    time_ms=copy.time_ms,
                    model_name=served.name,
                    model_version=served.version,
                    latency_ms=per_row_ms,
                    x=x[start:stop],
                    predictions=predictions[start:stop],
                    proba=proba[start:stop] if proba is not None else None,
                    shadow=True,
                    columns=served.columns,
                    kinds=served.kinds,
                )
            )
            start = stop
        return entries

    def _aligned(self, copy: _Copy, columns: tuple[str, ...]) -> np.ndarray:
        if copy.columns == columns or not columns:
            return copy.x
        order = [copy.columns.index(c) for c in columns]  # ValueError: signatures differ
        return copy.x[:, order]

    def _fail(self, rows: int) -> None:
        if self.metrics is not None:
            self.metrics.shadow_errors += rows


def _score(served: Served, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
    """Predictions and probabilities in one model pass when the classes are known."""
    proba = served.proba(x)
    classes = getattr(getattr(served.model, "native", served.model), "classes_", None)
    if proba is not None and classes is not None and proba.shape[1:] == (len(classes),):
        return np.asarray(classes)[np.argmax(proba, axis=1)], proba
    return np.asarray(served.model.predict_array(x)), proba

"""The prediction log writer: requests append in memory, a thread writes parquet each second.

On the request path, logging is one tuple appended to a list (the inputs stay the
ndarray the model saw). A background thread swaps the list out every
``flush_interval`` seconds, builds one Arrow table per input layout and appends it to
the ``predictions/<deployment>`` stream (:mod:`loopml.store.streams`), so a crash loses
at most the last interval. Feedback labels are buffered and written the same way.
"""

from __future__ import annotations

import itertools
import logging
import os
import secrets
import threading
import time
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

from loopml.store.streams import FEEDBACK_STREAM, predictions_stream

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.metrics import ServingMetrics
    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)


class IdSource:
    """Unique, compact prediction ids: a per-process random prefix and a counter."""

    def __init__(self) -> None:
        self.prefix = f"{int(time.time()):x}{os.getpid() & 0xFFFF:04x}{secrets.token_hex(3)}"
        self._counter = itertools.count()

    def take(self, n: int) -> list[str]:
        """Return ``n`` fresh ids."""
        prefix = self.prefix
        return [f"{prefix}-{next(self._counter):x}" for _ in range(n)]


class Entry(NamedTuple):
    """One scored request (or shadow batch) waiting to be written."""

    ids: list[str]
    time_ms: int
    model_name: str
    model_version: int
    latency_ms: float
    x: np.ndarray
    predictions: np.ndarray
    proba: np.ndarray | None
    shadow: bool
    columns: tuple[str, ...]
    kinds: tuple[str, ...]
    scorer: Callable[[np.ndarray], np.ndarray | None] | None = None


class PredictionLog:
    """Buffers predictions and feedback and writes them to the event log in batches.

    Args:
        open_log: returns the :class:`~loopml.store.events.EventLog` (called lazily).
        deployment: the deployment name (stream ``predictions/<deployment>``).
        flush_interval: seconds between writes.
        metrics: counters to update (rows logged, pending, flush errors).
    """

    def __init__(
        self,
        open_log: Callable[[], EventLog],
        deployment: str,
        *,
        flush_interval: float = 1.0,
        metrics: ServingMetrics | None = None,
    ) -> None:
        self.open_log = open_log
        self.deployment = deployment
        self.stream = predictions_stream(deployment)
        self.flush_interval = flush_interval
        self.metrics = metrics
        self._entries: list[Entry] = []
        self._feedback: list[Any] = []
        self._log: EventLog | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flush_lock = threading.Lock()
        #: extra entry sources drained at each flush (the shadow queue)
        self.sources: list[Callable[[], list[Entry]]] = []

    def record(self, entry: Entry) -> None:
        """Queue one entry (cheap; called on the request path)."""
        self._entries.append(entry)

    def record_feedback(self, table: Any) -> None:
        """Queue a validated feedback table (see :func:`loopml.store.streams.feedback_table`)."""
        self._feedback.append(table)

    def start(self) -> None:
        """Start the background writer thread."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"loopml-predlog-{self.deployment}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the writer and write what is left."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        self.flush()

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:  # keep serving; the entries stay queued for the next try
                logger.exception("prediction log flush failed for %s", self.deployment)
                if self.metrics is not None:
                    self.metrics.log_flush_errors += 1

    def flush(self) -> int:
        """Write every queued entry now; return the number of prediction rows written."""
        with self._flush_lock:
            entries, self._entries = self._entries, []
            feedback, self._feedback = self._feedback, []
            for source in self.sources:
                entries.extend(source())
            if self.metrics is not None:
                self.metrics.log_pending = len(self._entries)
            if not entries and not feedback:
                return 0
            try:
                return self._write(entries, feedback)
            except Exception:
                self._entries[:0] = entries
                self._feedback[:0] = feedback
                raise

    def _write(self, entries: list[Entry], feedback: list[Any]) -> int:
        import pyarrow as pa

        log = self._event_log()
        written = 0
        groups: dict[tuple[Any, ...], list[Entry]] = {}
        for entry in entries:
            # the layout tuples are shared by every entry of one model version, so their
            # identities group entries without hashing the column names each time
            key = (id(entry.columns), id(entry.kinds), entry.predictions.dtype.kind in "biuf")
            groups.setdefault(key, []).append(entry)
        for group in groups.values():
            table = entries_table(group, self.deployment)
            log.append(self.stream, table)
            written += table.num_rows
        if feedback:
            log.append(FEEDBACK_STREAM, pa.concat_tables(feedback, promote_options="default"))
            if self.metrics is not None:
                self.metrics.feedback_rows += sum(t.num_rows for t in feedback)
        if self.metrics is not None:
            self.metrics.logged_rows += written
        return written

    def _event_log(self) -> EventLog:
        if self._log is None:
            self._log = self.open_log()
        return self._log


def entries_table(entries: list[Entry], deployment: str) -> Any:
    """Build one Arrow table in the prediction-log contract from entries of one layout.

    Columns are gathered with one transpose of the entries (``zip(*entries)``), and the
    scores of entries that share a model are computed in one call over all their rows.
    """
    import pyarrow as pa

    from loopml.store.events import TIME_TYPE

    (ids, times, names, versions, latencies, xs, predictions, probas, shadows, *_rest) = zip(
        *entries, strict=True
    )
    counts = np.fromiter(map(len, ids), dtype=np.int64, count=len(entries))
    single = bool((counts == 1).all())

    def per_row(values: tuple[Any, ...]) -> Any:
        return values if single else np.repeat(np.asarray(values), counts)

    x = xs[0] if len(xs) == 1 else np.concatenate(xs)
    columns, kinds = entries[0].columns, entries[0].kinds
    inputs = pa.StructArray.from_arrays(
        [_input_array(x[:, j], kinds[j]) for j in range(len(columns))] or [pa.nulls(len(x))],
        names=list(columns) or ["_"],
    )
    flat_ids = ids[0] if len(ids) == 1 else list(itertools.chain.from_iterable(ids))
    return pa.table(
        {
            "time": pa.array(per_row(times), type=pa.int64()).cast(TIME_TYPE),
            "prediction_id": pa.array(flat_ids, type=pa.string()),
            "deployment": pa.array([deployment] * len(x), type=pa.string()),
            "model_name": pa.array(list(per_row(names)), type=pa.string()),
            "model_version": pa.array(per_row(versions), type=pa.int64()),
            "latency_ms": pa.array(per_row(latencies), type=pa.float64()),
            "inputs": inputs,
            "prediction": _prediction_array(np.concatenate(predictions).reshape(-1)),
            "score": pa.array(_scores(entries, probas, x, counts), from_pandas=True),
            "shadow": pa.array(per_row(shadows), type=pa.bool_()),
        }
    )


def _scores(
    entries: list[Entry], probas: tuple[Any, ...], x: np.ndarray, counts: np.ndarray
) -> np.ndarray:
    """Positive-class probability per row (NaN where unknown), one model call per scorer."""
    out = np.full(len(x), np.nan)
    ends = np.cumsum(counts)
    starts = ends - counts
    by_scorer: dict[Any, list[int]] = {}
    for index, (entry, proba) in enumerate(zip(entries, probas, strict=True)):
        if proba is not None:
            out[starts[index] : ends[index]] = _positive(proba, int(counts[index]))
        elif entry.scorer is not None:
            # bound methods of one object compare (and hash) equal: one group per model
            by_scorer.setdefault(entry.scorer, []).append(index)
    for scorer, indexes in by_scorer.items():
        rows = (
            np.arange(len(x))
            if len(indexes) == len(entries)
            else np.concatenate([np.arange(starts[i], ends[i]) for i in indexes])
        )
        try:
            proba = scorer(x if len(rows) == len(x) else x[rows])
        except Exception:
            logger.warning("could not compute scores for the prediction log", exc_info=True)
            continue
        if proba is not None:
            out[rows] = _positive(np.asarray(proba), len(rows))
    return out


def _positive(proba: np.ndarray, n: int) -> np.ndarray:
    if proba.ndim == 2 and proba.shape[1] == 2:
        return proba[:, 1].astype(np.float64)
    return np.full(n, np.nan)


def _input_array(values: np.ndarray, kind: str) -> Any:
    import pyarrow as pa

    if kind == "f":
        return pa.array(values.astype(np.float64, copy=False), from_pandas=True)
    if kind == "i":
        return pa.array(values.astype(np.int64))
    if kind == "b":
        return pa.array(values.astype(bool))
    return pa.array([None if v is None else str(v) for v in values], type=pa.string())


def _prediction_array(predictions: np.ndarray) -> Any:
    import pyarrow as pa

    if predictions.dtype.kind in "biuf":
        return pa.array(predictions.astype(np.float64), from_pandas=True)
    return pa.array([str(v) for v in predictions], type=pa.string())

"""The prediction log writer: requests append in memory, a thread writes parquet each second.

On the request path, logging is one tuple appended to a bounded list (the inputs stay
the ndarray the model saw). A background thread swaps the list out every
``flush_interval`` seconds, builds one Arrow table per input layout and appends it to
the ``predictions/<deployment>`` stream (:mod:`loopml.store.streams`), so a crash loses
at most the last interval. When the store is slow or down, the list stops growing at
``max_pending_rows``: further rows are dropped and counted, and serving never waits.
"""

from __future__ import annotations

import functools
import itertools
import logging
import operator
import os
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)


#: the stream prefix of prediction logs (``loopml.store.streams.PREDICTIONS_PREFIX``, not
#: imported: that module loads pyarrow, which a model server needs only at its first flush)
PREDICTIONS_PREFIX = "predictions"

_SERVED_ID = re.compile(r"^[0-9a-f]{18,}-[0-9a-f]+$")


def looks_served(prediction_id: str) -> bool:
    """Whether ``prediction_id`` has the shape of an id a model server hands out."""
    return _SERVED_ID.match(prediction_id) is not None


class IdSource:
    """Unique, compact prediction ids: a per-process random prefix and a counter."""

    def __init__(self) -> None:
        self.prefix = f"{int(time.time()):x}{os.getpid() & 0xFFFF:04x}{secrets.token_hex(3)}"
        self._counter = itertools.count()

    def take(self, n: int) -> list[str]:
        """Return ``n`` fresh ids."""
        if n == 1:
            return [f"{self.prefix}-{next(self._counter):x}"]
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


#: field getters of :class:`Entry` (C-level, for whole-flush passes)
_FIELDS = tuple(operator.itemgetter(i) for i in range(9))
_COLUMNS, _KINDS, _SCORER = (operator.itemgetter(i) for i in (9, 10, 11))
_DTYPE = operator.attrgetter("predictions.dtype")
_IS_NONE = functools.partial(operator.is_, None)


@dataclass(slots=True)
class LogStats:
    """Counters of one prediction log (the model server exposes them on ``/metrics``)."""

    logged_rows: int = 0
    dropped_rows: int = 0
    flush_errors: int = 0
    pending_rows: int = 0


class PredictionLog:
    """Buffers predictions in a bounded queue and writes them to the event log in batches.

    Args:
        open_log: returns the :class:`~loopml.store.events.EventLog` (called lazily).
        deployment: the deployment name (stream ``predictions/<deployment>``).
        flush_interval: seconds between writes.
        max_pending_rows: most rows kept while the store is slow; rows beyond are dropped
            (and counted in ``stats.dropped_rows``) rather than slowing requests down.
    """

    def __init__(
        self,
        open_log: Callable[[], EventLog],
        deployment: str,
        *,
        flush_interval: float = 1.0,
        max_pending_rows: int = 100_000,
    ) -> None:
        self.open_log = open_log
        self.deployment = deployment
        self.stream = f"{PREDICTIONS_PREFIX}/{deployment}"
        self.flush_interval = flush_interval
        self.max_pending_rows = max_pending_rows
        self.stats = LogStats()
        self._entries: list[Entry] = []
        self._pending = 0
        self._log: EventLog | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._flush_lock = threading.Lock()
        self._queue_lock = threading.Lock()
        #: extra entry sources drained at each flush (the shadow queue)
        self.sources: list[Callable[[], list[Entry]]] = []

    def record(self, entry: Entry) -> bool:
        """Queue one entry (cheap; called on the request path); ``False`` if it was dropped."""
        rows = len(entry.ids)
        with self._queue_lock:
            if self._pending + rows > self.max_pending_rows:
                self.stats.dropped_rows += rows
                return False
            self._pending += rows
            self.stats.pending_rows = self._pending
            self._entries.append(entry)
        return True

    def event_log(self) -> EventLog:
        """Return the event log this writer appends to (opened on first use)."""
        if self._log is None:
            self._log = self.open_log()
        return self._log

    def start(self) -> None:
        """Start the background writer thread."""
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._run, name=f"loopml-predlog-{self.deployment}", daemon=True
            )
            self._thread.start()

    def close(self) -> None:
        """Stop the writer and write what is left (rows that cannot be written are counted)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        try:
            self.flush()
        except Exception:
            logger.exception(
                "prediction log of %s: %d rows could not be written at shutdown",
                self.deployment,
                self._pending,
            )
            self.stats.flush_errors += 1
            self.stats.dropped_rows += self._pending

    def _run(self) -> None:
        while not self._stop.wait(self.flush_interval):
            try:
                self.flush()
            except Exception:  # keep serving; the entries stay queued for the next try
                logger.exception("prediction log flush failed for %s", self.deployment)
                self.stats.flush_errors += 1

    def flush(self) -> int:
        """Write every queued entry now; return the number of prediction rows written."""
        with self._flush_lock:
            with self._queue_lock:
                entries, self._entries = self._entries, []
                taken = self._pending
                self._pending = self.stats.pending_rows = 0
            for source in self.sources:
                entries.extend(source())
            if not entries:
                return 0
            try:
                written = self._write(entries)
            except Exception:
                self._requeue(entries, taken)
                raise
            self.stats.logged_rows += written
            return written

    def _requeue(self, entries: list[Entry], rows: int) -> None:
        with self._queue_lock:
            room = self.max_pending_rows - self._pending
            if rows > room:  # keep the newest rows that fit; count the rest as dropped
                kept: list[Entry] = []
                for entry in reversed(entries):
                    if len(entry.ids) > room:
                        self.stats.dropped_rows += len(entry.ids)
                        continue
                    room -= len(entry.ids)
                    kept.append(entry)
                entries = kept[::-1]
                rows = sum(len(e.ids) for e in entries)
            self._entries[:0] = entries
            self._pending += rows
            self.stats.pending_rows = self._pending

    def _write(self, entries: list[Entry]) -> int:
        log = self.event_log()
        written = 0
        for group in _layouts(entries):
            table = entries_table(group, self.deployment)
            log.append(self.stream, table)
            written += table.num_rows
        return written


def _layouts(entries: list[Entry]) -> list[list[Entry]]:
    """Group entries by layout: columns, kinds and numeric or text predictions.

    The layout tuples are shared by every entry of one model version (and numpy's
    built-in dtypes are singletons), so identities tell layouts apart without hashing
    the column names. Nearly always every entry shares one layout: that is checked with
    C-level passes first, and only a mix is walked entry by entry.
    """
    if all(_shared(map(field, entries)) for field in (_COLUMNS, _KINDS, _DTYPE)):
        return [entries]
    groups: dict[tuple[int, int, bool], list[Entry]] = {}
    columns = kinds = dtype = None
    current: list[Entry] = []
    for entry in entries:
        if (
            entry.columns is not columns
            or entry.kinds is not kinds
            or entry.predictions.dtype is not dtype
        ):
            columns, kinds, dtype = entry.columns, entry.kinds, entry.predictions.dtype
            key = (id(columns), id(kinds), dtype.kind in "biuf")
            current = groups.setdefault(key, [])
        current.append(entry)
    return list(groups.values())


def _shared(values: Iterator[Any]) -> bool:
    """Whether every value is the first one (the same object, almost always)."""
    seen = tuple(values)
    return not seen or seen.count(seen[0]) == len(seen)


def entries_table(entries: list[Entry], deployment: str) -> Any:
    """Build one Arrow table in the prediction-log contract from entries of one layout.

    Columns are gathered with one transpose of the entries (``zip(*entries)``), and the
    scores of entries that share a model are computed in one call over all their rows.
    """
    import pyarrow as pa

    from loopml.store.events import TIME_TYPE

    # one C-level pass per field: zip(*entries) would make an iterator per entry, and
    # thousands of new tracked objects set off garbage collections in the middle
    ids, times, names, versions, latencies, xs, predictions, probas, shadows = (
        tuple(map(field, entries)) for field in _FIELDS
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
    first = entries[0].scorer
    if all(map(_IS_NONE, probas)) and tuple(map(_SCORER, entries)).count(first) == len(
        entries
    ):  # the usual flush: one scorer (or none) for every row, in one call
        return _scored(first, x) if first is not None else np.full(len(x), np.nan)
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


def _scored(scorer: Callable[[np.ndarray], np.ndarray | None], x: np.ndarray) -> np.ndarray:
    try:
        proba = scorer(x)
    except Exception:
        logger.warning("could not compute scores for the prediction log", exc_info=True)
        return np.full(len(x), np.nan)
    return np.full(len(x), np.nan) if proba is None else _positive(np.asarray(proba), len(x))


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

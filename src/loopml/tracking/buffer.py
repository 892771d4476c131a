"""Buffered metric writes: logging a point is an append to memory, not a transaction.

Points are written in batches: when a buffer holds ``FLUSH_SIZE`` points (the flusher
thread is woken), every ``FLUSH_INTERVAL_S`` seconds, on ``flush()``, at run end, when a
``with`` block exits on an exception, and at interpreter exit. A buffer that grows past
``MAX_PENDING`` (the database is slower than the logging) is flushed by the logging
thread itself, which bounds memory. A failed write keeps its points and re-raises on the
next explicit flush, so nothing acknowledged is dropped silently.
"""

from __future__ import annotations

import atexit
import logging
import math
import threading
import weakref
from collections import deque
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from loopml.store.tables import tracking as t
from loopml.tracking.packing import columns, latest, pack_columns

if TYPE_CHECKING:
    from collections.abc import Iterator

    from sqlalchemy import Connection

    from loopml.store.db import Database

logger = logging.getLogger(__name__)

FLUSH_SIZE = 5_000
FLUSH_INTERVAL_S = 1.0
MAX_PENDING = 200_000

Point = tuple[str, float, int, int]  # key, value, step, timestamp ms


class MetricBuffer:
    """Pending metric points of one run.

    Points wait in a ``deque``: appending one (``push``, the bound ``deque.append``) and
    taking them for a write (one ``popleft`` per point, under the write lock) are each
    atomic in CPython, so the logging thread takes no lock and never loses a point to a
    concurrent flush.
    """

    def __init__(self, db: Database, run_id: str) -> None:
        self.db = db
        self.run_id = run_id
        self._points: deque[Point] = deque()
        #: the queue itself, for the logging hot path: append one point, then check
        #: ``len(queue) % FLUSH_SIZE`` and call :meth:`pressure` when it is 0
        self.queue = self._points
        #: append one point (the caller checks ``len(buffer) % FLUSH_SIZE`` afterwards)
        self.push = self._points.append
        self._write_lock = threading.Lock()
        self._error: BaseException | None = None
        _flusher().register(self)

    def __len__(self) -> int:
        return len(self._points)

    def add(self, point: Point) -> None:
        """Queue one ``(key, value, step, timestamp)`` point (the caller has validated it)."""
        self.push(point)
        pending = len(self._points)
        if pending % FLUSH_SIZE == 0:
            self.pressure(pending)

    def pressure(self, pending: int) -> None:
        """React to ``pending`` queued points: wake the flusher, or flush past MAX_PENDING."""
        if pending >= MAX_PENDING:
            self.flush()
        else:
            _flusher().wake()

    def extend(self, points: list[Point]) -> None:
        """Queue many points."""
        self._points.extend(points)
        if len(self._points) >= FLUSH_SIZE:
            _flusher().wake()

    def _take(self) -> list[Point]:
        # Only under the write lock: nobody else pops, so the first n points are ours.
        pop = self._points.popleft
        return [pop() for _ in range(len(self._points))]

    def _put_back(self, points: list[Point]) -> None:
        self._points.extendleft(reversed(points))

    def flush(self, *, raise_errors: bool = True) -> int:
        """Write every pending point; return how many were written.

        Raises:
            Exception: the database write failed (the points stay queued for a retry).
        """
        with self._write_lock:
            points = self._take()
            if points:
                try:
                    with self.db.write() as conn:
                        write_points(conn, self.db, self.run_id, points)
                except BaseException as err:
                    self._put_back(points)
                    self._error = err
                    if raise_errors:
                        raise
                    logger.warning("could not write %d metric points: %s", len(points), err)
                    return 0
            error, self._error = self._error, None
            if error is not None and raise_errors and not points:
                raise error
            return len(points)

    @contextmanager
    def pending(self) -> Iterator[list[Point]]:
        """Take every pending point for the caller to write in its own transaction.

        The points go back into the buffer if the block raises, so none is lost.
        """
        with self._write_lock:
            points = self._take()
            try:
                yield points
            except BaseException:
                self._put_back(points)
                raise

    def close(self) -> None:
        """Flush and stop tracking this buffer."""
        try:
            self.flush()
        finally:
            _flusher().unregister(self)


def write_points(conn: Connection, db: Database, run_id: str, points: list[Point]) -> None:
    """Append ``points`` as packed chunks and move ``latest_metrics`` forward, in ``conn``."""
    grouped = columns(points)
    chunks: list[dict[str, Any]] = []
    latest_rows: list[dict[str, Any]] = []
    for key, (steps, stamps, values) in grouped.items():
        for c in pack_columns(key, steps, stamps, values):
            chunks.append(
                {
                    "run_id": run_id,
                    "key": key,
                    "count": c.count,
                    "min_step": c.min_step,
                    "max_step": c.max_step,
                    "steps": c.steps,
                    "timestamps": c.timestamps,
                    "values": c.values,
                }
            )
        newest = latest(steps, stamps)
        value = values[newest]
        latest_rows.append(
            {
                "run_id": run_id,
                "key": key,
                "value": None if math.isnan(value) else value,
                "step": steps[newest],
                "timestamp": stamps[newest],
            }
        )
    if chunks:
        conn.execute(_INSERT_CHUNK, chunks)
        conn.execute(_latest_upsert(db), latest_rows)


_INSERT_CHUNK = t.metric_chunks.insert()


def _latest_upsert(db: Database) -> Any:
    return db.upsert(
        t.latest_metrics, ["run_id", "key"], ["value", "step", "timestamp"], where=_is_newer
    )


def _is_newer(new: Any) -> Any:
    table = t.latest_metrics
    return (new.step > table.c.step) | (
        (new.step == table.c.step) & (new.timestamp >= table.c.timestamp)
    )


class _Flusher:
    """One daemon thread per process that flushes every registered buffer periodically."""

    def __init__(self) -> None:
        self._buffers: weakref.WeakSet[MetricBuffer] = weakref.WeakSet()
        self._event = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def register(self, buffer: MetricBuffer) -> None:
        with self._lock:
            self._buffers.add(buffer)
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="loopml-metric-flusher", daemon=True
                )
                self._thread.start()

    def unregister(self, buffer: MetricBuffer) -> None:
        with self._lock:
            self._buffers.discard(buffer)

    def wake(self) -> None:
        self._event.set()

    def flush_all(self) -> None:
        with self._lock:
            buffers = list(self._buffers)
        for buffer in buffers:
            buffer.flush(raise_errors=False)

    def _loop(self) -> None:
        while True:
            self._event.wait(FLUSH_INTERVAL_S)
            self._event.clear()
            try:
                self.flush_all()
            except Exception:  # pragma: no cover - flush(raise_errors=False) already logs
                logger.exception("metric flusher failed")


_FLUSHER: _Flusher | None = None
_FLUSHER_LOCK = threading.Lock()


def _flusher() -> _Flusher:
    global _FLUSHER
    if _FLUSHER is None:
        with _FLUSHER_LOCK:
            if _FLUSHER is None:
                _FLUSHER = _Flusher()
                atexit.register(_FLUSHER.flush_all)
    return _FLUSHER


def flush_all() -> None:
    """Flush every buffer in this process (called at exit; safe to call any time)."""
    if _FLUSHER is not None:
        _FLUSHER.flush_all()

"""Buffered metrics over HTTP: points queue in memory and go to the server in batches.

A background thread sends what is queued every ``FLUSH_INTERVAL_S`` seconds, or sooner
when ``FLUSH_SIZE`` points wait; ``flush()``, the end of a run and interpreter exit send
the rest. A failed send keeps its points and re-raises on the next explicit flush, so no
acknowledged point is dropped silently (the same contract as a local run's buffer).
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import TYPE_CHECKING

from loopml.remote import wire

if TYPE_CHECKING:
    from loopml.remote.transport import HttpTransport

logger = logging.getLogger(__name__)

FLUSH_SIZE = 5_000
FLUSH_INTERVAL_S = 1.0
BATCH_POINTS = 50_000

Point = tuple[str, float, int, int]  # key, value, step, timestamp ms

_OPEN: weakref.WeakSet[RemoteMetricBuffer] = weakref.WeakSet()
_HOOK: list[bool] = []


class RemoteMetricBuffer:
    """Pending metric points of one remote run."""

    def __init__(self, transport: HttpTransport, run_id: str) -> None:
        self.transport = transport
        self.run_id = run_id
        self._points: list[Point] = []
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(
            target=self._loop, name=f"loopml-remote-metrics-{run_id[:8]}", daemon=True
        )
        self._thread.start()
        _OPEN.add(self)
        if not _HOOK:
            _HOOK.append(True)
            atexit.register(flush_all)

    def __len__(self) -> int:
        return len(self._points)

    def add(self, point: Point) -> None:
        """Queue one (validated) point."""
        with self._lock:
            self._points.append(point)
            pending = len(self._points)
        if pending >= FLUSH_SIZE:
            self._wake.set()

    def extend(self, points: list[Point]) -> None:
        """Queue many points."""
        with self._lock:
            self._points.extend(points)
            pending = len(self._points)
        if pending >= FLUSH_SIZE:
            self._wake.set()

    def flush(self, *, raise_errors: bool = True) -> int:
        """Send every queued point now; return how many were sent."""
        sent = 0
        with self._send_lock:
            with self._lock:
                points, self._points = self._points, []
            try:
                for start in range(0, len(points), BATCH_POINTS):
                    batch = points[start : start + BATCH_POINTS]
                    self._send(batch)
                    sent += len(batch)
            except BaseException as err:
                with self._lock:
                    self._points[:0] = points[sent:]
                self._error = err
                if raise_errors:
                    raise
                logger.warning("run %s: sending metrics failed; will retry", self.run_id)
                return sent
        if raise_errors and self._error is not None and sent:
            self._error = None
        return sent

    def close(self) -> None:
        """Stop the background thread and send what is left."""
        self._closed.set()
        self._wake.set()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=30)
        self.flush()
        _OPEN.discard(self)

    def _send(self, points: list[Point]) -> None:
        body = wire.batch_body(points, {}, {})
        self.transport.call("POST", f"/api/v1/runs/{self.run_id}/log-batch", json=body)

    def _loop(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(FLUSH_INTERVAL_S)
            self._wake.clear()
            if self._closed.is_set():
                return
            if self._points:
                self.flush(raise_errors=False)


def flush_all() -> None:
    """Send the queued points of every open remote run (called at interpreter exit)."""
    for buffer in list(_OPEN):
        try:
            buffer.flush()
        except Exception:
            logger.warning("could not send metrics of run %s", buffer.run_id, exc_info=True)

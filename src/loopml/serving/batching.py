"""Adaptive batching on the event loop: score what accumulated, never wait for nothing.

A request that finds the batcher idle leads: it yields to the event loop once, so every
request that became ready in the same loop turn joins its queue, then scores the queue
itself in one model call and returns its own rows (no future, no timer, no thread).
When the last gathers found no company (one client at a time), a lone request does not
even yield: it scores at once, as without batching; one lone request in
``PROBE_EVERY`` still yields, so that concurrent clients are noticed within a few
requests and batching resumes. Requests that arrive while a batch is queued
wait on a future. While a call runs, the loop cannot read sockets; the requests that
arrive meanwhile form the next batch, so under load batches grow by themselves.
``max_wait_s`` optionally holds a partial batch a little longer to fill it (then every
batch is dispatched by a scheduled callback). Nothing is ever dropped: a full queue is
simply scored in several calls.
"""

from __future__ import annotations

import asyncio
import time
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Callable

#: Gathers in a row that no other request joined before lone requests stop yielding.
LONE_AFTER = 2
#: While requests come one at a time, every this many still yields to look for company.
PROBE_EVERY = 32


class Scores(NamedTuple):
    """Model output for some rows: predictions and, when available, class probabilities."""

    predictions: np.ndarray
    proba: np.ndarray | None

    def rows(self, start: int, stop: int) -> Scores:
        """Return the slice of rows ``start:stop``."""
        proba = self.proba[start:stop] if self.proba is not None else None
        return Scores(self.predictions[start:stop], proba)


class _Item(NamedTuple):
    x: np.ndarray
    future: asyncio.Future[Scores] | None  # None: the leading request, scoring itself
    arrived: float


class AdaptiveBatcher:
    """Gather concurrent requests into one model call.

    Args:
        score: the model call, ``x -> Scores``; runs on the event loop thread.
        max_batch_size: most rows per call (a single larger request is scored alone).
        max_wait_s: longest time a partial batch may wait for more rows (0: never wait).
        on_batch: called with ``(rows, seconds)`` after each call (metrics).
    """

    def __init__(
        self,
        score: Callable[[np.ndarray], Scores],
        *,
        max_batch_size: int = 64,
        max_wait_s: float = 0.0,
        on_batch: Callable[[int, float], None] | None = None,
    ) -> None:
        if max_batch_size < 1:
            raise ValueError(f"max_batch_size must be at least 1, not {max_batch_size}")
        if max_wait_s < 0:
            raise ValueError(f"max_wait_s must not be negative, not {max_wait_s}")
        self.score = score
        self.max_batch_size = max_batch_size
        self.max_wait_s = max_wait_s
        self.on_batch = on_batch
        self._queue: list[_Item] = []
        self._rows = 0
        self._scheduled = False
        self._leading = False
        self._lone = 0  # gathers in a row that nobody joined
        self._skipped = 0  # lone requests scored without yielding

    @property
    def pending(self) -> int:
        """Rows waiting to be scored."""
        return self._rows

    def now(self, x: np.ndarray) -> Scores | None:
        """Score ``x`` at once when nobody is there to join it; ``None``: :meth:`submit` it.

        Synchronous, so a caller that gets scores here awaits nothing at all.
        """
        if self._lone < LONE_AFTER or self._queue or self._scheduled or self.max_wait_s:
            return None
        if not (self._skipped + 1) % PROBE_EVERY:
            return None  # the probe is due: submit() counts it and gathers once
        self._skipped += 1
        return self._alone(x)

    async def submit(self, x: np.ndarray) -> Scores:
        """Score ``x`` (2-D) together with whatever else is queued; return its rows."""
        if not self._queue and not self._scheduled and not self.max_wait_s:
            scores = self.now(x)
            if scores is not None:
                return scores
            if self._lone >= LONE_AFTER:
                self._skipped += 1  # the probe
            return await self._lead(x)
        self._lone = 0
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Scores] = loop.create_future()
        self._queue.append(_Item(x, future, time.perf_counter()))
        self._rows += len(x)
        if not self._scheduled and not self._leading:
            self._scheduled = True
            loop.call_soon(self._dispatch)
        return await future

    async def _lead(self, x: np.ndarray) -> Scores:
        """Yield once so ready requests join, then score the batch here (no future, no hop)."""
        item = _Item(x, None, 0.0)
        self._queue.append(item)
        self._rows += len(x)
        self._leading = True
        try:
            await asyncio.sleep(0)
        except BaseException:  # cancelled while gathering: hand the queue to a dispatch
            self._queue[:] = [queued for queued in self._queue if queued is not item]
            self._rows -= len(x)
            self._leading = False
            if self._queue:
                self._schedule(0.0)
            raise
        self._leading = False
        items = self._take()
        if self._queue:
            self._schedule(0.0)
        self._lone = self._lone + 1 if len(items) == 1 and not self._queue else 0
        scores = self._run(items)
        if isinstance(scores, BaseException):
            raise scores
        return scores if len(items) == 1 else scores.rows(0, len(x))

    def _alone(self, x: np.ndarray) -> Scores:
        """Score a lone request at once (nobody was there to join the last gathers)."""
        on_batch = self.on_batch
        if on_batch is None:
            return self.score(x)
        started = time.perf_counter()
        scores = self.score(x)
        on_batch(len(x), time.perf_counter() - started)
        return scores

    def _dispatch(self) -> None:
        self._scheduled = False
        if not self._queue:
            return
        if self.max_wait_s and self._rows < self.max_batch_size:
            waited = time.perf_counter() - self._queue[0].arrived
            if waited < self.max_wait_s:
                self._schedule(self.max_wait_s - waited)
                return
        self._run(self._take())
        if self._queue:
            self._schedule(0.0)

    def _schedule(self, delay: float) -> None:
        self._scheduled = True
        loop = asyncio.get_running_loop()
        if delay > 0:
            loop.call_later(delay, self._dispatch)
        else:
            loop.call_soon(self._dispatch)

    def _take(self) -> list[_Item]:
        taken = [self._queue[0]]
        rows = len(taken[0].x)
        index = 1
        while index < len(self._queue) and rows + len(self._queue[index].x) <= self.max_batch_size:
            rows += len(self._queue[index].x)
            taken.append(self._queue[index])
            index += 1
        del self._queue[:index]
        self._rows -= rows
        return taken

    def _run(self, items: list[_Item]) -> Scores | Exception:
        """Score ``items`` in one call and resolve their futures; return the batch's scores."""
        x = items[0].x if len(items) == 1 else np.concatenate([item.x for item in items])
        started = time.perf_counter()
        try:
            scores = self.score(x)
        except Exception as err:  # every caller of this batch gets the error
            for item in items:
                if item.future is not None and not item.future.done():
                    item.future.set_exception(err)
            return err
        if self.on_batch is not None:
            self.on_batch(len(x), time.perf_counter() - started)
        start = 0
        for item in items:
            stop = start + len(item.x)
            if item.future is not None and not item.future.done():
                item.future.set_result(scores if len(items) == 1 else scores.rows(start, stop))
            start = stop
        return scores

"""A client thread: steady traffic to a model server and delayed ground-truth labels.

It knows the true label of every row it sends, so it measures the quality callers
actually got (per phase), and it counts every request that did not get a 200.
"""

from __future__ import annotations

import collections
import threading
import time
from dataclasses import dataclass, field

import httpx
import numpy as np

from loopml.loop.demo import scenario


@dataclass
class PhaseStats:
    """Served rows and correct answers in one phase of the story."""

    rows: int = 0
    correct: int = 0

    @property
    def accuracy(self) -> float | None:
        """Share of correct answers (``None`` before any row)."""
        return None if self.rows == 0 else self.correct / self.rows


@dataclass
class TrafficStats:
    """What the client saw."""

    requests: int = 0
    failed: int = 0
    labels_sent: int = 0
    phases: dict[str, PhaseStats] = field(default_factory=dict)
    versions: collections.Counter[int] = field(default_factory=collections.Counter)
    errors: list[str] = field(default_factory=list)


class Traffic:
    """Send ``rows_per_request`` rows ``rate_hz`` times a second; label them after a delay.

    Args:
        url: the model server's base URL.
        rows_per_request: rows per ``POST /predict``.
        rate_hz: requests per second (best effort).
        label_delay_s: how long after a prediction its label is posted.
        seed: seeds the rows.
    """

    def __init__(
        self,
        url: str,
        *,
        rows_per_request: int = 4,
        rate_hz: float = 40.0,
        label_delay_s: float = 1.0,
        seed: int = 0,
    ) -> None:
        self.url = url
        self.rows_per_request = rows_per_request
        self.rate_hz = rate_hz
        self.label_delay_s = label_delay_s
        self.seed = seed
        self.drifted = False
        self.phase = "before"
        self.stats = TrafficStats()
        self._lock = threading.Lock()
        self._pending: collections.deque[tuple[float, list[str], list[int]]] = collections.deque()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="loopml-demo-traffic", daemon=True)

    def start(self) -> Traffic:
        """Start sending."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop, posting the labels still due."""
        self._stop.set()
        self._thread.join(timeout=30)

    def snapshot(self) -> TrafficStats:
        """A copy of the counters so far."""
        with self._lock:
            return TrafficStats(
                self.stats.requests, self.stats.failed, self.stats.labels_sent,
                {k: PhaseStats(v.rows, v.correct) for k, v in self.stats.phases.items()},
                collections.Counter(self.stats.versions), list(self.stats.errors),
            )  # fmt: skip

    def _run(self) -> None:
        with httpx.Client(base_url=self.url, timeout=30.0) as client:
            counter = 0
            while not self._stop.is_set():
                started = time.perf_counter()
                counter += 1
                self._send(client, counter)
                self._label(client, time.time())
                pause = 1.0 / self.rate_hz - (time.perf_counter() - started)
                if pause > 0:
                    self._stop.wait(pause)
            self._label(client, float("inf"))

    def _send(self, client: httpx.Client, counter: int) -> None:
        frame = scenario.rows(self.rows_per_request, drifted=self.drifted,
                              seed=self.seed * 1_000_003 + counter)  # fmt: skip
        records = frame[list(scenario.FEATURES)].to_dict("records")
        phase = self.phase
        try:
            reply = client.post("/predict", json={"records": records})
            ok = reply.status_code == 200
            body = reply.json() if ok else {}
        except httpx.HTTPError as err:
            ok, body = False, {}
            self._note_error(f"{type(err).__name__}: {err}")
        with self._lock:
            self.stats.requests += 1
            if not ok:
                self.stats.failed += 1
                return
            predictions = np.asarray(body["predictions"], dtype=np.float64)
            labels = frame["label"].to_numpy()
            stats = self.stats.phases.setdefault(phase, PhaseStats())
            stats.rows += len(labels)
            stats.correct += int((predictions == labels).sum())
            self.stats.versions[int(body["model_version"])] += 1
        due = time.time() + self.label_delay_s
        self._pending.append((due, list(body["prediction_ids"]), [int(y) for y in labels]))

    def _label(self, client: httpx.Client, now: float) -> None:
        batch: list[dict[str, object]] = []
        while self._pending and self._pending[0][0] <= now:
            _, ids, labels = self._pending.popleft()
            batch += [{"prediction_id": i, "label": y} for i, y in zip(ids, labels, strict=True)]
        if not batch:
            return
        try:
            reply = client.post("/feedback", json={"feedback": batch})
            if reply.status_code == 200:
                with self._lock:
                    self.stats.labels_sent += len(batch)
            else:
                self._note_error(f"feedback answered {reply.status_code}: {reply.text[:200]}")
        except httpx.HTTPError as err:
            self._note_error(f"feedback failed: {err}")

    def _note_error(self, text: str) -> None:
        with self._lock:
            if len(self.stats.errors) < 20:
                self.stats.errors.append(text)

"""Pack metric points into per-key chunks of little-endian arrays, and unpack them (pure).

A chunk holds three arrays of equal length: int64 steps, int64 timestamps (epoch ms) and
float64 values (NaN and infinities kept as they are).
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

MAX_CHUNK_POINTS = 100_000
_SWAP = sys.byteorder != "little"


@dataclass(frozen=True, slots=True)
class Chunk:
    """Points of one metric key, packed."""

    key: str
    count: int
    min_step: int
    max_step: int
    steps: bytes
    timestamps: bytes
    values: bytes


def pack(points: Iterable[tuple[str, float, int, int]]) -> list[Chunk]:
    """Group ``(key, value, step, timestamp)`` points by key into chunks, keeping order."""
    by_key: dict[str, tuple[array[int], array[int], array[float]]] = {}
    for key, value, step, timestamp in points:
        arrays = by_key.get(key)
        if arrays is None:
            arrays = by_key[key] = (array("q"), array("q"), array("d"))
        arrays[0].append(step)
        arrays[1].append(timestamp)
        arrays[2].append(value)
    chunks = []
    for key, (steps, stamps, values) in by_key.items():
        for start in range(0, len(steps), MAX_CHUNK_POINTS):
            end = start + MAX_CHUNK_POINTS
            chunks.append(_chunk(key, steps[start:end], stamps[start:end], values[start:end]))
    return chunks


def _chunk(key: str, steps: array[int], stamps: array[int], values: array[float]) -> Chunk:
    count, low, high = len(steps), min(steps), max(steps)
    if _SWAP:  # pragma: no cover - big-endian hosts only
        for part in (steps, stamps, values):
            part.byteswap()
    return Chunk(key, count, low, high, steps.tobytes(), stamps.tobytes(), values.tobytes())


def unpack(rows: Sequence[tuple[bytes, bytes, bytes]]) -> tuple[Any, Any, Any]:
    """Decode chunk rows into numpy arrays sorted by step, then timestamp (stable).

    Returns:
        ``(steps, timestamps, values)`` as int64, int64 and float64 numpy arrays.
    """
    import numpy as np

    if not rows:
        empty = np.empty(0, dtype="<i8")
        return empty, empty.copy(), np.empty(0, dtype="<f8")
    steps = np.concatenate([np.frombuffer(r[0], dtype="<i8") for r in rows])
    stamps = np.concatenate([np.frombuffer(r[1], dtype="<i8") for r in rows])
    values = np.concatenate([np.frombuffer(r[2], dtype="<f8") for r in rows])
    order = np.lexsort((stamps, steps))
    return steps[order], stamps[order], values[order]

"""Pack metric points into per-key chunks of little-endian arrays, and unpack them (pure).

A chunk holds three arrays of equal length: int64 steps, int64 timestamps (epoch ms) and
float64 values (NaN and infinities kept as they are).
"""

from __future__ import annotations

import sys
from array import array
from dataclasses import dataclass
from operator import itemgetter
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Sequence

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


def pack(points: Sequence[tuple[str, float, int, int]]) -> list[Chunk]:
    """Group ``(key, value, step, timestamp)`` points by key into chunks, keeping order."""
    return [
        chunk
        for key, (steps, stamps, values) in columns(points).items()
        for chunk in pack_columns(key, steps, stamps, values)
    ]


def pack_columns(
    key: str, steps: Sequence[int], stamps: Sequence[int], values: Sequence[float]
) -> list[Chunk]:
    """Pack one key's columns into chunks of at most ``MAX_CHUNK_POINTS`` points."""
    return [
        _chunk(
            key,
            array("q", steps[start : start + MAX_CHUNK_POINTS]),
            array("q", stamps[start : start + MAX_CHUNK_POINTS]),
            array("d", values[start : start + MAX_CHUNK_POINTS]),
        )
        for start in range(0, len(steps), MAX_CHUNK_POINTS)
    ]


_KEY, _VALUE, _STEP, _STAMP = itemgetter(0), itemgetter(1), itemgetter(2), itemgetter(3)
Columns = tuple[tuple[int, ...], tuple[int, ...], tuple[float, ...]]


def columns(points: Sequence[tuple[str, float, int, int]]) -> dict[str, Columns]:
    """Split points into per-key ``(steps, timestamps, values)`` tuples, keeping order.

    The work is done by C-level builtins (``zip``, ``sorted``, ``itemgetter``), not a
    Python loop per point: one key (the usual case) costs a transpose.
    """
    if not points:
        return {}
    keys = tuple(map(_KEY, points))
    values = tuple(map(_VALUE, points))
    steps = tuple(map(_STEP, points))
    stamps = tuple(map(_STAMP, points))
    first = keys[0]
    if keys.count(first) == len(keys):
        return {first: (steps, stamps, values)}
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: order kept per key
    grouped: dict[str, Columns] = {}
    start = 0
    for key in sorted(dict.fromkeys(keys)):
        end = start + keys.count(key)
        pick = order[start:end]
        grouped[key] = (_take(steps, pick), _take(stamps, pick), _take(values, pick))
        start = end
    return {key: grouped[key] for key in dict.fromkeys(keys)}


def latest(steps: Sequence[int], stamps: Sequence[int]) -> int:
    """Return the index of the newest point: highest step, then timestamp, then the last."""
    top = max(steps)
    best = position = steps.index(top)
    if steps.count(top) == 1:
        return best
    while True:
        try:
            position = steps.index(top, position + 1)
        except ValueError:
            return best
        if stamps[position] >= stamps[best]:
            best = position


def _take(column: tuple[Any, ...], pick: list[int]) -> tuple[Any, ...]:
    if len(pick) == 1:
        return (column[pick[0]],)
    return itemgetter(*pick)(column)  # type: ignore[no-any-return]


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

"""Pack many entities at once with numpy: the batch write side of :mod:`loopml.features.codec`.

Produces exactly the bytes of :meth:`Codec.encode_row`, one numpy structured array per
batch instead of one ``struct.pack`` per entity.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.features.codec import Codec

_NUMPY = {
    "float64": "<f8",
    "float32": "<f4",
    "int64": "<i8",
    "int32": "<i4",
    "bool": "?",
    "timestamp": "<i8",
}
_LEN = struct.Struct("<I")


def encode_batch(
    codec: Codec,
    event_us: np.ndarray,
    columns: Sequence[np.ndarray],
    nulls: Sequence[np.ndarray | None],
    strings: Sequence[Sequence[Any] | None] = (),
) -> list[bytes]:
    """Pack many entities of one view.

    Args:
        codec: the view version's codec.
        event_us: event time of each entity, float64 microseconds.
        columns: per feature, the values (ignored for string features; timestamps as int64
            microseconds); null slots may hold anything.
        nulls: per feature, a boolean mask of nulls (or ``None`` for no nulls).
        strings: per feature, a sequence of Python strings (only read for string features;
            ``None`` entries are nulls).
    """
    n = len(event_us)
    layout = [("event", "<f8"), ("nulls", "u1", (codec.null_bytes,))]
    layout += [(f"f{i}", _NUMPY[codec.types[i]]) for i in codec.fixed]
    packed = np.zeros(n, dtype=np.dtype(layout))
    packed["event"] = event_us
    for i in codec.fixed:
        mask = nulls[i]
        values = columns[i]
        if mask is not None and mask.any():
            values = np.where(mask, np.zeros(1, dtype=_NUMPY[codec.types[i]]), values)
        packed[f"f{i}"] = values
    bitmap = packed["nulls"]
    for i, mask in enumerate(nulls):
        if mask is not None and mask.any():
            bitmap[:, i >> 3] |= mask.astype("u1") << (i & 7)
    raw = packed.tobytes()
    width = packed.dtype.itemsize
    rows = [raw[j * width : (j + 1) * width] for j in range(n)]
    if codec.strings:
        rows = _append_strings(codec, rows, strings, bitmap)
    return rows


def _append_strings(
    codec: Codec, rows: list[bytes], strings: Sequence[Sequence[Any] | None], bitmap: np.ndarray
) -> list[bytes]:
    out = []
    for j, head in enumerate(rows):
        parts = [head]
        for i in codec.strings:
            column = strings[i]
            value = None if column is None else column[j]
            data = b"" if value is None else str(value).encode()
            if value is None:
                bitmap[j, i >> 3] |= 1 << (i & 7)
            parts.append(_LEN.pack(len(data)))
            parts.append(data)
        out.append(b"".join(parts))
    if bitmap.any():
        end = 8 + codec.null_bytes
        out = [row[:8] + bitmap[j].tobytes() + row[end:] for j, row in enumerate(out)]
    return out

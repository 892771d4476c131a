"""Pack one entity's feature values into bytes and back (pure; one codec per view version).

Layout (little endian)::

    float64   event time, microseconds since the epoch
    bytes[n]  null bitmap, one bit per feature (n = ceil(features / 8))
    ...       fixed-width values of the non-string features, in view order
              (float64 d, float32 f, int64 q, int32 i, bool ?, timestamp q = microseconds)
    ...       then each string feature as uint32 length + UTF-8 bytes

Writing packs a whole batch with one numpy structured array; reading one entity is one
``struct.unpack_from``. Values are never stored one row per feature.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from collections.abc import Sequence

_CHAR = {"float64": "d", "float32": "f", "int64": "q", "int32": "i", "bool": "?", "timestamp": "q"}
_NUMPY = {
    "float64": "<f8",
    "float32": "<f4",
    "int64": "<i8",
    "int32": "<i4",
    "bool": "?",
    "timestamp": "<i8",
}
_LEN = struct.Struct("<I")
_EPOCH = dt.datetime(1970, 1, 1)
_EPOCH_UTC = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class Codec:
    """Packs and unpacks the features of one view version.

    Args:
        types: the feature types, in view order.
        aware: indexes of timestamp features whose values are time-zone aware (UTC).

    Example:
        >>> codec = Codec(["float64", "string"])
        >>> blob = codec.encode_row(1_000_000.0, [0.5, "gold"])
        >>> codec.decode(blob)
        (1000000.0, [0.5, 'gold'])
    """

    def __init__(self, types: Sequence[str], aware: Sequence[int] = ()) -> None:
        self.types = tuple(types)
        self.size = len(self.types)
        self.null_bytes = (self.size + 7) // 8
        self.fixed = [i for i, kind in enumerate(self.types) if kind != "string"]
        self.strings = [i for i, kind in enumerate(self.types) if kind == "string"]
        self.stamps = [i for i, kind in enumerate(self.types) if kind == "timestamp"]
        self.aware = frozenset(aware)
        chars = "".join(_CHAR[self.types[i]] for i in self.fixed)
        self.struct = struct.Struct(f"<d{self.null_bytes}s{chars}")
        self.no_nulls = bytes(self.null_bytes)
        self.simple = not self.strings and not self.stamps

    # ------------------------------------------------------------------ reading
    def decode(self, blob: bytes) -> tuple[float, list[Any]]:
        """Return ``(event time in microseconds, values in view order)`` of one entity."""
        unpacked = self.struct.unpack_from(blob)
        event, nulls = unpacked[0], unpacked[1]
        values = list(unpacked[2:]) if self.simple else self._merge(blob, unpacked[2:])
        if nulls != self.no_nulls:
            for i in range(self.size):
                if nulls[i >> 3] & (1 << (i & 7)):
                    values[i] = None
        return event, values

    def _merge(self, blob: bytes, fixed: tuple[Any, ...]) -> list[Any]:
        values: list[Any] = [None] * self.size
        for i, value in zip(self.fixed, fixed, strict=True):
            values[i] = value
        for i in self.stamps:
            micros = values[i]
            base = _EPOCH_UTC if i in self.aware else _EPOCH
            values[i] = base + dt.timedelta(microseconds=micros)
        offset = self.struct.size
        for i in self.strings:
            (length,) = _LEN.unpack_from(blob, offset)
            offset += 4
            values[i] = blob[offset : offset + length].decode()
            offset += length
        return values

    # ------------------------------------------------------------------ writing
    def encode_row(self, event_us: float, values: Sequence[Any]) -> bytes:
        """Pack one entity (``None`` = null; timestamps as epoch microseconds)."""
        columns = [np.array([v if v is not None else 0]) for v in values]
        masks = [np.array([v is None]) for v in values]
        strings = [[v] for v in values]
        return self.encode_batch(np.array([event_us], dtype="<f8"), columns, masks, strings)[0]

    def encode_batch(
        self,
        event_us: np.ndarray,
        columns: Sequence[np.ndarray],
        nulls: Sequence[np.ndarray | None],
        strings: Sequence[Sequence[Any] | None] = (),
    ) -> list[bytes]:
        """Pack many entities at once.

        Args:
            event_us: event time of each entity, float64 microseconds.
            columns: per feature, the values (ignored for string features; timestamps as
                int64 microseconds); null slots may hold anything.
            nulls: per feature, a boolean mask of nulls (or ``None`` for no nulls).
            strings: per feature, a sequence of Python strings (only read for string
                features; ``None`` entries are nulls).
        """
        n = len(event_us)
        layout = [("event", "<f8"), ("nulls", "u1", (self.null_bytes,))]
        layout += [(f"f{i}", _NUMPY[self.types[i]]) for i in self.fixed]
        packed = np.zeros(n, dtype=np.dtype(layout))
        packed["event"] = event_us
        for i in self.fixed:
            mask = nulls[i]
            values = columns[i]
            if mask is not None and mask.any():
                values = np.where(mask, np.zeros(1, dtype=_NUMPY[self.types[i]]), values)
            packed[f"f{i}"] = values
        bitmap = packed["nulls"]
        for i, mask in enumerate(nulls):
            if mask is not None and mask.any():
                bitmap[:, i >> 3] |= mask.astype("u1") << (i & 7)
        raw = packed.tobytes()
        width = packed.dtype.itemsize
        rows = [raw[j * width : (j + 1) * width] for j in range(n)]
        if self.strings:
            rows = self._append_strings(rows, strings, bitmap)
        return rows

    def _append_strings(
        self, rows: list[bytes], strings: Sequence[Sequence[Any] | None], bitmap: np.ndarray
    ) -> list[bytes]:
        out = []
        for j, head in enumerate(rows):
            parts = [head]
            for i in self.strings:
                value = strings[i][j] if strings[i] is not None else None  # type: ignore[index]
                data = b"" if value is None else str(value).encode()
                if value is None:
                    bitmap[j, i >> 3] |= 1 << (i & 7)
                parts.append(_LEN.pack(len(data)))
                parts.append(data)
            out.append(b"".join(parts))
        if bitmap.any():
            out = [self._patch_nulls(row, bitmap[j]) for j, row in enumerate(out)]
        return out

    def _patch_nulls(self, row: bytes, bits: np.ndarray) -> bytes:
        return row[:8] + bits.tobytes() + row[8 + self.null_bytes :]

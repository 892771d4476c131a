"""Pack one entity's feature values into bytes and back (pure; one codec per view version).

Layout (little endian)::

    float64   event time, microseconds since the epoch
    bytes[n]  null bitmap, one bit per feature (n = ceil(features / 8))
    ...       fixed-width values of the non-string features, in view order
              (float64 d, float32 f, int64 q, int32 i, bool ?, timestamp q = microseconds)
    ...       then each string feature as uint32 length + UTF-8 bytes

Writing a batch packs one numpy structured array (:mod:`loopml.features.packing`); reading
one entity is one ``struct.unpack_from``, with no numpy on the read path. Values are never
stored one row per feature.
"""

from __future__ import annotations

import datetime as dt
import struct
from typing import TYPE_CHECKING, Any

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
_ZERO: dict[str, Any] = {
    "float64": 0.0,
    "float32": 0.0,
    "int64": 0,
    "int32": 0,
    "bool": False,
    "timestamp": 0,
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
        """Pack one entity (``None`` = null; timestamps as epoch microseconds).

        Batches are packed with numpy by :func:`loopml.features.packing.encode_batch`,
        which produces the same bytes.
        """
        nulls = bytearray(self.null_bytes)
        for i, value in enumerate(values):
            if value is None:
                nulls[i >> 3] |= 1 << (i & 7)
        fixed = [values[i] if values[i] is not None else _ZERO[self.types[i]] for i in self.fixed]
        parts = [self.struct.pack(event_us, bytes(nulls), *fixed)]
        for i in self.strings:
            data = b"" if values[i] is None else str(values[i]).encode()
            parts.append(_LEN.pack(len(data)))
            parts.append(data)
        return b"".join(parts)

"""Content digests of tables: sha256 over the logical values, not over any file's bytes.

The same rows and columns give the same digest however they were chunked, written or
encoded: parquet row-group sizes, Arrow chunking, ``string`` vs ``large_string``,
dictionary (categorical) vs plain encoding, index widths and the timestamp unit of a
top-level column do not matter. Anything a reader could observe does: column names and
order, logical types, row order, every value and every null.

Definition (version ``loopml.dataset.v1``)::

    dataset digest = sha256(tag, num_rows, for each column in order: name, column digest)
    column digest  = sha256(tag, name, logical type, component digests)

Each component digest is a sha256 streamed over one canonical byte sequence, so chunk
boundaries cannot change it:

* nulls: the int64 row positions of the nulls (a column without nulls hashes nothing);
* fixed-width values (integers, floats, booleans, dates, times, durations): little-endian
  values with null slots set to zero and every NaN written as the one canonical NaN;
  booleans one byte each; timestamps as int64 nanoseconds (or in their own unit, named in
  the logical type, when a value lies outside the nanosecond range);
* strings and binaries: the int64 length of each value, then the concatenated bytes;
* dictionary-encoded columns: the decoded values;
* lists and maps: the length of each list, then the child values (recursively);
* structs: each field (recursively) after the struct's nulls are applied;
* decimals and fixed-size binaries: their canonical string or binary form.

Row order is part of the content: a shuffled table is a different dataset version.
"""

from __future__ import annotations

import hashlib
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

TAG = b"loopml.dataset.v1"


@dataclass(frozen=True, slots=True)
class ContentDigest:
    """The digest of a table and of each of its columns."""

    digest: str
    columns: Mapping[str, str]


def content_digest(table: pa.Table) -> ContentDigest:
    """Return the content digest of ``table`` (see the module docstring for the definition).

    Raises:
        InvalidInput: the table has duplicate column names.
    """
    names = table.column_names
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"column names must be unique; {duplicates} appear more than once")
    outer = hashlib.sha256(TAG)
    outer.update(struct.pack("<q", table.num_rows))
    columns: dict[str, str] = {}
    for name, column in zip(names, table.columns, strict=True):
        columns[name] = column_digest(name, column)
        _framed(outer, name.encode())
        outer.update(bytes.fromhex(columns[name]))
    return ContentDigest(outer.hexdigest(), columns)


def column_digest(name: str, column: pa.ChunkedArray) -> str:
    """Return the digest of one named column (chunking and encoding do not matter)."""
    column = _top_level(column)
    hasher = _hasher(column.type)
    for chunk in column.chunks:
        hasher.update(chunk)
    final = hashlib.sha256(TAG)
    _framed(final, name.encode())
    _framed(final, logical_type(column.type).encode())
    final.update(hasher.digest())
    return final.hexdigest()


def logical_type(data_type: pa.DataType) -> str:
    """Return the logical name of an Arrow type: what a reader sees, not how it is stored."""
    if pa.types.is_dictionary(data_type):
        return logical_type(data_type.value_type)
    if pa.types.is_string(data_type) or pa.types.is_large_string(data_type):
        return "string"
    if pa.types.is_string_view(data_type):
        return "string"
    if pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type):
        return "binary"
    if pa.types.is_map(data_type):
        key, item = logical_type(data_type.key_type), logical_type(data_type.item_type)
        return f"map<{key}, {item}>"
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return f"list<{logical_type(data_type.value_type)}>"
    if pa.types.is_fixed_size_list(data_type):
        return f"list<{logical_type(data_type.value_type)}>[{data_type.list_size}]"
    if pa.types.is_struct(data_type):
        fields = ", ".join(f"{f.name}: {logical_type(f.type)}" for f in data_type)
        return f"struct<{fields}>"
    if pa.types.is_timestamp(data_type) and data_type.unit == "ns":
        return f"timestamp[{data_type.tz}]" if data_type.tz else "timestamp"
    return str(data_type)


def column_type(column: pa.ChunkedArray) -> str:
    """The logical type of a top-level column, as it enters its digest."""
    return logical_type(_canonical_type(column))


def _canonical_type(column: pa.ChunkedArray) -> pa.DataType:
    """Dictionaries decode to their values; timestamps go to ns where every value fits."""
    data_type = column.type
    if pa.types.is_dictionary(data_type):
        data_type = data_type.value_type
    if pa.types.is_timestamp(data_type) and data_type.unit != "ns" and _fits_ns(column):
        return pa.timestamp("ns", data_type.tz)
    return data_type


def _fits_ns(column: pa.ChunkedArray) -> bool:
    if column.null_count == len(column):
        return True
    low, high = (s.as_py() for s in pc.min_max(column.cast(pa.int64())).values())
    per_ns = {"s": 1_000_000_000, "ms": 1_000_000, "us": 1_000}[column.type.unit]
    limit = (2**63 - 1) // per_ns
    return bool(-limit <= low and high <= limit)


def _top_level(column: pa.ChunkedArray) -> pa.ChunkedArray:
    target = _canonical_type(column)
    return column if column.type == target else column.cast(target)


def _framed(hasher: Any, data: bytes) -> None:
    hasher.update(struct.pack("<q", len(data)))
    hasher.update(data)


class _Hasher:
    """Streams the chunks of one column into component digests; ``rows`` seen so far."""

    def __init__(self) -> None:
        self.rows = 0
        self.nulls = hashlib.sha256()

    def update(self, chunk: pa.Array) -> None:
        if chunk.null_count:
            mask = chunk.is_null().to_numpy(zero_copy_only=False)
            positions = np.flatnonzero(mask).astype("<i8") + self.rows
            self.nulls.update(positions.tobytes())
        self._values(chunk)
        self.rows += len(chunk)

    def _values(self, chunk: pa.Array) -> None:
        """Hash the values of ``chunk`` (nulls already recorded)."""

    def parts(self) -> Iterable[Any]:
        return ()

    def digest(self) -> bytes:
        final = hashlib.sha256(struct.pack("<q", self.rows))
        final.update(self.nulls.digest())
        for part in self.parts():
            final.update(part.digest())
        return final.digest()


class _FixedHasher(_Hasher):
    def __init__(self, data_type: pa.DataType) -> None:
        super().__init__()
        self.values = hashlib.sha256()
        self.view_type = _view_type(data_type)
        self.is_float = pa.types.is_floating(data_type)

    def _values(self, chunk: pa.Array) -> None:
        if self.view_type is not None:
            chunk = chunk.view(self.view_type)
        if chunk.null_count:
            chunk = pc.fill_null(chunk, pa.scalar(False if pa.types.is_boolean(chunk.type) else 0))
        values = chunk.to_numpy(zero_copy_only=False)
        if self.is_float:
            nan = np.isnan(values)
            if nan.any():
                values = np.where(nan, np.array(np.nan, dtype=values.dtype), values)
        canonical = np.ascontiguousarray(values).astype(values.dtype.newbyteorder("<"))
        self.values.update(canonical.tobytes())

    def parts(self) -> Iterable[Any]:
        return (self.values,)


def _view_type(data_type: pa.DataType) -> pa.DataType | None:
    """The integer type that temporal values are hashed as (``None``: hash as they are)."""
    if pa.types.is_temporal(data_type):
        return pa.int32() if data_type.bit_width == 32 else pa.int64()
    return None


class _BinaryHasher(_Hasher):
    def __init__(self) -> None:
        super().__init__()
        self.lengths = hashlib.sha256()
        self.data = hashlib.sha256()

    def _values(self, chunk: pa.Array) -> None:
        if pa.types.is_string_view(chunk.type) or pa.types.is_binary_view(chunk.type):
            chunk = chunk.cast(pa.large_string() if _is_text(chunk.type) else pa.large_binary())
        if chunk.null_count:
            chunk = pc.fill_null(chunk, pa.scalar("" if _is_text(chunk.type) else b"", chunk.type))
        _, offsets_buffer, data_buffer = chunk.buffers()
        wide = pa.types.is_large_string(chunk.type) or pa.types.is_large_binary(chunk.type)
        start, stop = chunk.offset, chunk.offset + len(chunk) + 1
        offsets = np.frombuffer(offsets_buffer, dtype="<i8" if wide else "<i4")[start:stop]
        self.lengths.update(np.diff(offsets).astype("<i8").tobytes())
        if data_buffer is not None and len(offsets):
            self.data.update(memoryview(data_buffer)[int(offsets[0]) : int(offsets[-1])])

    def parts(self) -> Iterable[Any]:
        return (self.lengths, self.data)


def _is_text(data_type: pa.DataType) -> bool:
    return bool(
        pa.types.is_string(data_type)
        or pa.types.is_large_string(data_type)
        or pa.types.is_string_view(data_type)
    )


class _CastHasher(_BinaryHasher):
    """Decimals and fixed-size binaries: hashed through their canonical string/binary form."""

    def __init__(self, target: pa.DataType) -> None:
        super().__init__()
        self.target = target

    def _values(self, chunk: pa.Array) -> None:
        super()._values(chunk.cast(self.target))


class _ListHasher(_Hasher):
    def __init__(self, child: pa.DataType) -> None:
        super().__init__()
        self.lengths = hashlib.sha256()
        self.child = _hasher(child)

    def _values(self, chunk: pa.Array) -> None:
        if pa.types.is_map(chunk.type):
            mask = chunk.is_null() if chunk.null_count else None
            offsets = pa.array(chunk.offsets.to_numpy(zero_copy_only=False))
            chunk = pa.ListArray.from_arrays(offsets, chunk.values, mask=mask)
        self.lengths.update(_list_lengths(chunk).astype("<i8").tobytes())
        self.child.update(chunk.flatten())

    def parts(self) -> Iterable[Any]:
        return (self.lengths, _Done(self.child.digest()))


def _list_lengths(chunk: pa.Array) -> np.ndarray[Any, Any]:
    """The length of each list of ``chunk``, 0 for a null list."""
    counted = pc.fill_null(pc.list_value_length(chunk), 0).cast(pa.int64())
    lengths: np.ndarray[Any, Any] = counted.to_numpy(zero_copy_only=False)
    return lengths


class _StructHasher(_Hasher):
    def __init__(self, data_type: pa.DataType) -> None:
        super().__init__()
        self.fields = [_hasher(field.type) for field in data_type]

    def _values(self, chunk: pa.Array) -> None:
        for hasher, child in zip(self.fields, chunk.flatten(), strict=True):
            hasher.update(child)

    def parts(self) -> Iterable[Any]:
        return tuple(_Done(hasher.digest()) for hasher in self.fields)


class _NullHasher(_Hasher):
    def update(self, chunk: pa.Array) -> None:
        self.rows += len(chunk)


@dataclass(frozen=True, slots=True)
class _Done:
    value: bytes

    def digest(self) -> bytes:
        return self.value


def _hasher(data_type: pa.DataType) -> _Hasher:
    if pa.types.is_null(data_type):
        return _NullHasher()
    if pa.types.is_dictionary(data_type):
        return _DictionaryHasher(data_type)
    if _is_text(data_type) or pa.types.is_binary(data_type) or pa.types.is_large_binary(data_type):
        return _BinaryHasher()
    if pa.types.is_binary_view(data_type):
        return _BinaryHasher()
    if pa.types.is_fixed_size_binary(data_type):
        return _CastHasher(pa.large_binary())
    if pa.types.is_decimal(data_type):
        return _CastHasher(pa.large_string())
    if pa.types.is_list(data_type) or pa.types.is_large_list(data_type):
        return _ListHasher(data_type.value_type)
    if pa.types.is_fixed_size_list(data_type) or pa.types.is_list_view(data_type):
        return _ListHasher(data_type.value_type)
    if pa.types.is_map(data_type):
        return _ListHasher(pa.struct([data_type.key_field, data_type.item_field]))
    if pa.types.is_struct(data_type):
        return _StructHasher(data_type)
    if pa.types.is_primitive(data_type):
        return _FixedHasher(data_type)
    raise InvalidInput(
        f"cannot version a column of Arrow type {data_type}; convert it to a primitive, "
        "string, binary, list or struct type first"
    )


class _DictionaryHasher(_Hasher):
    """Nested dictionary columns: each chunk decoded, then hashed as its value type."""

    def __init__(self, data_type: pa.DataType) -> None:
        super().__init__()
        self.inner = _hasher(data_type.value_type)

    def update(self, chunk: pa.Array) -> None:
        self.inner.update(chunk.dictionary_decode())
        self.rows += len(chunk)

    def digest(self) -> bytes:
        return self.inner.digest()

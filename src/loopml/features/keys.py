"""Encode entity keys as the bytes online stores index by (pure).

One key column: the integer in decimal, or the string as UTF-8. Several key columns
(a composite entity): the compact JSON list of the parts. Materialization and lookups
use the same functions, so a key written is a key found.
"""

from __future__ import annotations

import json
from numbers import Integral
from typing import TYPE_CHECKING, Any

from loopml._utils.digits import is_digits
from loopml.errors import InvalidInput

if TYPE_CHECKING:
    from collections.abc import Sequence


def coerce(value: Any, kind: str, column: str) -> int | str:
    """Return a lookup key value as the entity's type, or raise naming the value.

    Raises:
        InvalidInput: the value cannot be a key of this type.
    """
    if kind == "string":
        if isinstance(value, str):
            return value
        if _is_int(value):
            return str(value)
    elif _is_int(value) or (isinstance(value, str) and is_digits(value.lstrip("-"))):
        return int(value)
    raise InvalidInput(
        f"entity {column!r} value {value!r} ({type(value).__name__}) is not a valid "
        f"{'integer' if kind == 'int64' else 'string'} key"
    )


def _is_int(value: Any) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def encode_one(parts: Sequence[int | str]) -> bytes:
    """Encode one key (its parts in the view's key order)."""
    if len(parts) == 1:
        part = parts[0]
        return b"%d" % part if isinstance(part, int) else part.encode()
    return json.dumps(list(parts), separators=(",", ":")).encode()


def encode_column(values: list[Any]) -> list[bytes]:
    """Encode the keys of a single key column (ints or strings; ``None`` stays ``None``)."""
    return [
        None if v is None else (b"%d" % v if isinstance(v, int) else str(v).encode())  # type: ignore[misc]
        for v in values
    ]


def encode_columns(columns: Sequence[list[Any]]) -> list[bytes]:
    """Encode composite keys from one list per key column."""
    if len(columns) == 1:
        return encode_column(columns[0])
    return [
        json.dumps(list(row), separators=(",", ":")).encode() for row in zip(*columns, strict=True)
    ]

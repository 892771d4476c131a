"""Request validation compiled once from a model signature.

A :class:`Validator` turns the decoded JSON of a request (rows, records, columns or
column arrays) into one contiguous 2-D ndarray with the columns in signature order,
or raises :class:`~loopml.serving.errors.RequestInvalid` naming the offending field.

The common case, every column numeric, takes a vectorised fast path: numpy builds the
array from the nested lists in C and the result is checked by its dtype and shape. Only
when that fails (a string, a null, a ragged row, a boolean) does the per-column path run,
which both builds mixed-type arrays and finds the exact field to blame. Booleans are
strict: ``true`` is not a number and ``1`` is not a boolean. Because numpy silently turns
``true`` into ``1.0`` inside a numeric list, callers pass ``exact=True`` whenever the
request may hold a boolean, and the per-column path checks every value.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.serving.errors import RequestInvalid

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loopml.serving.protocols import SignatureLike

_FLOAT = {"float64", "float32", "float16", "float", "double"}
_INT = {"int64", "int32", "int16", "int8", "uint64", "uint32", "uint16", "uint8", "int", "long"}
_BOOL = {"bool", "boolean"}
_EXPECT = {"f": "a number", "i": "an integer", "b": "true or false", "s": "a string"}
INT64_MIN, INT64_LIMIT = -(2**63), 2**63  # int64 holds INT64_MIN <= v < INT64_LIMIT


def kind_of(dtype: str) -> str:
    """Return the value kind of a signature dtype: ``f``, ``i``, ``b`` or ``s`` (text)."""
    lowered = dtype.lower()
    if lowered in _FLOAT:
        return "f"
    if lowered in _INT:
        return "i"
    if lowered in _BOOL:
        return "b"
    return "s"


class Validator:
    """Checks requests against a signature and builds the model's input array.

    Args:
        columns: input column names in model order (``None``: no signature, numeric only).
        dtypes: their dtype strings (same length as ``columns``).

    Example:
        >>> v = Validator(("age", "income"), ("int64", "float64"))
        >>> v.records([{"age": 41, "income": 52000.0}]).tolist()
        [[41.0, 52000.0]]
    """

    def __init__(self, columns: Sequence[str] | None, dtypes: Sequence[str] | None = None) -> None:
        self.columns: tuple[str, ...] | None = tuple(columns) if columns is not None else None
        names = self.columns or ()
        self.dtypes = tuple(dtypes) if dtypes is not None else ("float64",) * len(names)
        if len(self.dtypes) != len(names):
            raise ValueError("columns and dtypes differ in length")
        self.kinds = tuple(kind_of(d) for d in self.dtypes)
        self.numeric = "s" not in self.kinds
        self.dtype: np.dtype[Any] = np.dtype(np.float64 if self.numeric else object)
        self._index = {name: i for i, name in enumerate(names)}
        self._int_columns = [i for i, k in enumerate(self.kinds) if k == "i"]
        self._fast_kinds = "b" if self.kinds and set(self.kinds) == {"b"} else "fiu"
        #: whether the model takes NaN (null) in float columns; learnt at warm-up
        self.takes_missing = True

    @classmethod
    def from_signature(cls, signature: SignatureLike | None) -> Validator:
        """Compile a validator for ``signature`` (``None`` accepts any numeric matrix)."""
        if signature is None:
            return cls(None)
        inputs = list(signature.inputs)
        return cls([c.name for c in inputs], [c.dtype for c in inputs])

    @property
    def width(self) -> int | None:
        """Number of input columns, or ``None`` without a signature."""
        return None if self.columns is None else len(self.columns)

    def has_column(self, name: str) -> bool:
        """Whether the signature has an input column ``name``."""
        return name in self._index

    def describe(self) -> str:
        """Describe the expected columns for error messages."""
        if self.columns is None:
            return "a numeric matrix (the model has no signature)"
        shown = [f"{n} ({d})" for n, d in zip(self.columns, self.dtypes, strict=True)]
        if len(shown) > 6:
            shown = [*shown[:4], "...", shown[-1]]
        return f"{len(self.columns)} columns: " + ", ".join(shown)

    # ------------------------------------------------------------------ request shapes
    def rows(self, rows: Any, what: str = "instances", *, exact: bool = False) -> np.ndarray:
        """Validate positional rows (lists of values in signature order)."""
        if not isinstance(rows, list) or not rows:
            raise RequestInvalid(
                f"{what!r} must be a non-empty list of rows, got {_show(rows)}", field=what
            )
        fast = None if exact else self._fast(rows)
        if fast is not None:
            return fast
        return self._slow_rows(rows, what)

    def records(self, records: Any, what: str = "records", *, exact: bool = False) -> np.ndarray:
        """Validate records (one mapping of column -> value per row)."""
        if not isinstance(records, list) or not records:
            raise RequestInvalid(
                f"{what!r} must be a non-empty list of objects, got {_show(records)}", field=what
            )
        names = self.columns
        if names is None:
            if not isinstance(records[0], dict) or not records[0]:
                raise RequestInvalid(
                    f"{what}[0] must be an object of column values, got {_show(records[0])}",
                    field=f"{what}[0]",
                )
            names = tuple(records[0])
        try:
            rows = [[record[name] for name in names] for record in records]
        except (KeyError, TypeError, IndexError):
            raise self._record_error(records, names, what) from None
        width = len(names)
        for index, record in enumerate(records):
            if len(record) != width:
                raise self._record_error([record], names, f"{what}[{index}]")
        return self.rows(rows, what, exact=exact)

    def split(self, columns: Any, data: Any, *, exact: bool = False) -> np.ndarray:
        """Validate the split form: ``columns`` names and ``data`` rows in that order."""
        if not isinstance(columns, list) or not all(isinstance(c, str) for c in columns):
            raise RequestInvalid(
                f"'columns' must be a list of column names, got {_show(columns)}", field="columns"
            )
        if self.columns is None or list(self.columns) == columns:
            return self.rows(data, "data", exact=exact)
        self._check_names(columns, "columns")
        order = [columns.index(name) for name in self.columns]
        if not isinstance(data, list) or not data:
            raise RequestInvalid("'data' must be a non-empty list of rows", field="data")
        try:
            rows = [[row[j] for j in order] for row in data]
        except (IndexError, TypeError, KeyError):
            return self._slow_rows(data, "data", width=len(columns))
        return self.rows(rows, "data", exact=exact)

    def column_arrays(self, mapping: Mapping[str, Any], what: str = "inputs") -> np.ndarray:
        """Validate column arrays: ``{column: [values...]}``, all of one length."""
        names = self.columns if self.columns is not None else tuple(mapping)
        self._check_names(list(mapping), what)
        lengths = {name: len(v) if isinstance(v, list) else -1 for name, v in mapping.items()}
        for name, length in lengths.items():
            if length <= 0:
                raise RequestInvalid(
                    f"{what}.{name} must be a non-empty list of values, got {_show(mapping[name])}",
                    field=name,
                )
        if not lengths:
            raise RequestInvalid(
                f"{what} has no columns; the model expects {self.describe()}", field=what
            )
        if len(set(lengths.values())) > 1:
            raise RequestInvalid(
                f"{what} columns differ in length: {lengths}; send one value per row in every "
                "column",
                field=what,
            )
        return self._assemble([mapping[name] for name in names], list(names))

    def matrix(self, array: np.ndarray, what: str) -> np.ndarray:
        """Validate an already typed 2-D array (a V2 tensor) against the signature."""
        if array.ndim != 2:
            raise RequestInvalid(
                f"{what} must be 2-D (rows x columns), got shape {list(array.shape)}", field=what
            )
        if array.shape[0] == 0:
            raise RequestInvalid(f"{what} has no rows (shape {list(array.shape)})", field=what)
        width = self.width
        if width is not None and array.shape[1] != width:
            raise RequestInvalid(
                f"{what} has {array.shape[1]} columns (shape {list(array.shape)}); the model "
                f"expects {self.describe()}",
                field=what,
            )
        if self.numeric and array.dtype.kind in self._fast_kinds:
            if array.dtype.kind == "f" and (
                np.isinf(array).any() if self.takes_missing else not np.isfinite(array).all()
            ):
                return self._slow_rows(array.tolist(), what)  # names the value
            return self._checked(np.ascontiguousarray(array, dtype=self.dtype))
        return self._slow_rows(array.tolist(), what)

    # ------------------------------------------------------------------ internals
    def _fast(self, rows: list[Any]) -> np.ndarray | None:
        if not self.numeric:
            return None
        try:
            array = np.array(rows)
        except (ValueError, TypeError):
            return None
        if array.ndim != 2 or array.dtype.kind not in self._fast_kinds or array.dtype.kind == "u":
            return None
        if self.width is not None and array.shape[1] != self.width:
            return None
        return self._checked(array.astype(self.dtype, copy=False))

    def _checked(self, array: np.ndarray) -> np.ndarray:
        if self._int_columns and array.dtype.kind == "f":
            block = array[:, self._int_columns]
            bad = ~(
                np.isfinite(block)
                & (block == np.floor(block))
                & (block >= INT64_MIN)
                & (block < INT64_LIMIT)
            )
            if bad.any():
                row, col = (int(v) for v in np.argwhere(bad)[0])
                column = self._int_columns[col]
                raise self._type_error(column, block[row, col].item(), row)
        return array

    def _slow_rows(self, rows: Any, what: str, width: int | None = None) -> np.ndarray:
        width = width if width is not None else self.width
        if width is None:
            first = rows[0] if isinstance(rows, list) and rows else None
            width = len(first) if isinstance(first, list) else -1
        for index, row in enumerate(rows):
            if not isinstance(row, list | tuple) or len(row) != width:
                got = f"{len(row)} values" if isinstance(row, list | tuple) else _show(row)
                raise RequestInvalid(
                    f"{what}[{index}] has {got}; the model expects {self.describe()}",
                    field=f"{what}[{index}]",
                )
        columns = [[row[j] for row in rows] for j in range(width)]
        names = list(self.columns) if self.columns is not None else [str(j) for j in range(width)]
        return self._assemble(columns, names)

    def _assemble(self, columns: list[Any], names: list[str]) -> np.ndarray:
        n = len(columns[0]) if columns else 0
        out = np.empty((n, len(columns)), dtype=self.dtype)
        for j, values in enumerate(columns):
            kind = self.kinds[j] if self.columns is not None else "f"
            out[:, j] = self._column(j, names[j], kind, values)
        return out

    def _column(self, j: int, name: str, kind: str, values: list[Any]) -> list[Any]:
        converted: list[Any] = []
        if kind == "f" and not self.takes_missing:
            kind = "F"
        for row, value in enumerate(values):
            ok = _convert(kind, value)
            if ok is _BAD:
                raise self._type_error(j, value, row, name)
            converted.append(ok)
        return converted

    def _type_error(self, j: int, value: Any, row: int, name: str | None = None) -> RequestInvalid:
        column = name if name is not None else (self.columns or ())[j]
        dtype = self.dtypes[j] if self.columns is not None else "float64"
        kind = kind_of(dtype)
        if value is None or (kind == "f" and type(value) is float and math.isnan(value)):
            why = (
                "this model version cannot take missing values; fill it in"
                if kind == "f"
                else "only float columns accept null (as NaN)"
            )
            return RequestInvalid(
                f"column {column!r} ({dtype}) has a null in row {row}; {why}", field=column
            )
        numeric = type(value) is int or (type(value) is float and math.isfinite(value))
        if numeric and kind == "i" and not INT64_MIN <= value < INT64_LIMIT:
            return RequestInvalid(
                f"column {column!r} ({dtype}) has {_show(value)} in row {row}, beyond the "
                f"int64 range [{INT64_MIN}, {INT64_LIMIT - 1}]",
                field=column,
            )
        if type(value) is float and math.isinf(value):
            return RequestInvalid(
                f"column {column!r} ({dtype}) has {value} in row {row}; send a finite number "
                "(or null for a missing float)",
                field=column,
            )
        return RequestInvalid(
            f"column {column!r} expects {dtype}, got {_show(value)} in row {row}; send "
            f"{_EXPECT[kind]}",
            field=column,
        )

    def _check_names(self, given: list[str], what: str) -> None:
        if self.columns is None:
            return
        missing = [c for c in self.columns if c not in given]
        if missing:
            raise RequestInvalid(
                f"{what} lacks column {missing[0]!r}"
                + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "")
                + f"; the model expects {self.describe()}",
                field=missing[0],
            )
        unknown = [c for c in given if c not in self._index]
        if unknown or len(given) != len(self.columns):
            name = unknown[0] if unknown else _duplicate(given)
            raise RequestInvalid(
                f"{what} has unexpected column {name!r}; the model expects {self.describe()}",
                field=name,
            )

    def _record_error(self, records: list[Any], names: Sequence[str], what: str) -> RequestInvalid:
        for index, record in enumerate(records):
            where = what if len(records) == 1 else f"{what}[{index}]"
            if not isinstance(record, dict):
                return RequestInvalid(
                    f"{where} must be an object, got {_show(record)}", field=where
                )
            missing = [n for n in names if n not in record]
            if missing:
                return RequestInvalid(
                    f"{where} lacks column {missing[0]!r}; the model expects {self.describe()}",
                    field=missing[0],
                )
            unknown = [k for k in record if k not in names]
            if unknown:
                return RequestInvalid(
                    f"{where} has unexpected column {unknown[0]!r}; the model expects "
                    f"{self.describe()}",
                    field=unknown[0],
                )
        return RequestInvalid(
            f"{what} could not be read as records of {self.describe()}", field=what
        )


_BAD = object()


def _convert(kind: str, value: Any) -> Any:
    kind_type = type(value)
    if kind == "f":
        if kind_type is float:
            return _BAD if math.isinf(value) else value  # NaN is a missing value, like null
        if kind_type is int:
            return value
        return math.nan if value is None else _BAD
    if kind == "F":  # a float column of a model that cannot take missing values
        if kind_type is float:
            return value if math.isfinite(value) else _BAD
        return value if kind_type is int else _BAD
    if kind == "i":
        if kind_type is int:
            return value if INT64_MIN <= value < INT64_LIMIT else _BAD
        if (
            kind_type is float
            and math.isfinite(value)
            and value == int(value)
            and INT64_MIN <= value < INT64_LIMIT
        ):
            return int(value)
        return _BAD
    if kind == "b":
        return value if kind_type is bool else _BAD
    return value if kind_type is str else _BAD


def _duplicate(names: list[str]) -> str:
    seen: set[str] = set()
    for name in names:
        if name in seen:
            return name
        seen.add(name)
    return names[0] if names else ""


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."

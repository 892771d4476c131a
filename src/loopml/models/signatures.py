"""Model signatures: named, typed input columns and outputs, inferred from an example.

A :class:`Signature` is inferred once from the example passed to ``log_model``, stored
in the package manifest and the registry, and enforced when the model is loaded and
whenever it predicts. Errors name the offending column (:class:`SignatureMismatch`).

pandas is never imported here: frames are handled when the caller already passes one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.models.errors import SignatureMismatch

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: The column types a signature knows.
DTYPES = ("float64", "float32", "int64", "int32", "bool", "string")
NUMERIC = frozenset({"float64", "float32", "int64", "int32"})
_NUMPY: dict[str, np.dtype[Any]] = {
    "float64": np.dtype("float64"),
    "float32": np.dtype("float32"),
    "int64": np.dtype("int64"),
    "int32": np.dtype("int32"),
    "bool": np.dtype("bool"),
    "string": np.dtype("object"),
}


@dataclass(frozen=True, slots=True)
class ColumnSpec:
    """One named, typed column of a signature.

    Attributes:
        name: column name.
        dtype: one of ``float64``, ``float32``, ``int64``, ``int32``, ``bool``, ``string``.
    """

    name: str
    dtype: str

    def __post_init__(self) -> None:
        if self.dtype not in DTYPES:
            raise SignatureMismatch(
                f"column {self.name!r} has unknown type {self.dtype!r}; use one of {DTYPES}",
                field=self.name,
            )

    @property
    def numpy_dtype(self) -> np.dtype[Any]:
        """The numpy dtype that holds this column (``object`` for strings)."""
        return _NUMPY[self.dtype]


@dataclass(frozen=True, slots=True)
class Signature:
    """The input columns a model expects and the outputs it returns.

    Example:
        >>> sig = Signature((ColumnSpec("age", "int64"),), (ColumnSpec("prediction", "bool"),))
        >>> Signature.from_dict(sig.to_dict()) == sig
        True
    """

    inputs: tuple[ColumnSpec, ...]
    outputs: tuple[ColumnSpec, ...] = ()

    @property
    def input_names(self) -> list[str]:
        """The input column names, in order."""
        return [c.name for c in self.inputs]

    @property
    def is_numeric(self) -> bool:
        """Whether every input is a number (so rows fit one float64 array)."""
        return all(c.dtype in NUMERIC for c in self.inputs)

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form stored in manifests and the registry."""
        return {
            "inputs": [{"name": c.name, "dtype": c.dtype} for c in self.inputs],
            "outputs": [{"name": c.name, "dtype": c.dtype} for c in self.outputs],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Signature:
        """Rebuild a signature from :meth:`to_dict` output.

        Raises:
            SignatureMismatch: the data does not describe a signature.
        """
        try:
            inputs = tuple(ColumnSpec(str(c["name"]), str(c["dtype"])) for c in data["inputs"])
            outputs = tuple(
                ColumnSpec(str(c["name"]), str(c["dtype"])) for c in data.get("outputs", [])
            )
        except (KeyError, TypeError) as err:
            raise SignatureMismatch(
                f"not a signature: {data!r}; expected {{'inputs': [{{'name', 'dtype'}}...]}}"
            ) from err
        return cls(inputs, outputs)

    def validate_frame(self, df: Any, *, strict: bool = False) -> Any:
        """Check a pandas DataFrame against the inputs and return it cast and ordered.

        Args:
            df: the frame; extra columns are dropped unless ``strict``.
            strict: reject columns the signature does not name.

        Returns:
            A DataFrame with exactly the input columns, in order, with their types.

        Raises:
            SignatureMismatch: a column is missing, unknown (strict) or of the wrong type.
        """
        present = [str(c) for c in df.columns]
        self._check_columns(present, strict=strict)
        columns = {c.name: cast_column(c, df[c.name].to_numpy()) for c in self.inputs}
        return type(df)(columns, index=df.index)

    def validate_records(self, records: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
        """Check JSON-style records (one dict per row) and return typed columns."""
        if not records:
            raise SignatureMismatch("no rows to predict; send at least one record")
        for i, record in enumerate(records):
            if not isinstance(record, dict):
                raise SignatureMismatch(
                    f"row {i} is a {type(record).__name__}, not an object of column values"
                )
        names = {k for record in records for k in record}
        self._check_columns(sorted(names), strict=False)
        out: dict[str, np.ndarray] = {}
        for spec in self.inputs:
            try:
                raw = [record[spec.name] for record in records]
            except KeyError:
                row = next(i for i, r in enumerate(records) if spec.name not in r)
                raise SignatureMismatch(
                    f"row {row} has no column {spec.name!r}; every row needs every input",
                    field=spec.name,
                ) from None
            out[spec.name] = cast_column(spec, _as_array(raw))
        return out

    def validate_columns(self, columns: Mapping[str, Sequence[Any]]) -> dict[str, np.ndarray]:
        """Check a mapping of column name -> values and return typed columns."""
        self._check_columns([str(k) for k in columns], strict=False)
        out = {c.name: cast_column(c, _as_array(columns[c.name])) for c in self.inputs}
        lengths = {len(v) for v in out.values()}
        if len(lengths) > 1:
            sizes = {k: len(v) for k, v in out.items()}
            raise SignatureMismatch(f"columns have different lengths: {sizes}")
        return out

    def validate_array(self, x: Any) -> np.ndarray:
        """Check a 2-D array whose columns follow the input order; return it typed.

        A 1-D array is one row. A numeric signature returns a float64 (or the common
        numeric) array; a mixed one returns an object array.
        """
        arr = np.asarray(x)
        if arr.ndim == 1:
            arr = arr.reshape(1, -1)
        if arr.ndim != 2:
            raise SignatureMismatch(
                f"expected a 2-D array of rows x {len(self.inputs)} columns, got shape {arr.shape}"
            )
        if arr.shape[1] != len(self.inputs):
            raise SignatureMismatch(
                f"expected {len(self.inputs)} columns ({', '.join(self.input_names)}), "
                f"got {arr.shape[1]}"
            )
        if self.is_numeric and arr.dtype.kind in "fiu":
            common = np.result_type(*(c.numpy_dtype for c in self.inputs))
            if arr.dtype.kind == "f":
                for j, spec in enumerate(self.inputs):
                    if spec.dtype in ("int64", "int32"):
                        cast_column(spec, arr[:, j])
            return arr.astype(common, copy=False)
        cols = [cast_column(spec, arr[:, j]) for j, spec in enumerate(self.inputs)]
        out = np.empty(arr.shape, dtype=object if not self.is_numeric else np.float64)
        for j, col in enumerate(cols):
            out[:, j] = col
        return out

    def _check_columns(self, present: Sequence[str], *, strict: bool) -> None:
        have = set(present)
        missing = [c.name for c in self.inputs if c.name not in have]
        wanted = set(self.input_names)
        unknown = [name for name in present if name not in wanted]
        if missing:
            hint = f"; unknown columns sent: {unknown}" if unknown else ""
            raise SignatureMismatch(
                f"missing input column(s) {missing}; the model expects {self.input_names}{hint}",
                field=missing[0],
            )
        if strict and unknown:
            raise SignatureMismatch(
                f"unknown input column(s) {unknown}; the model expects {self.input_names}",
                field=unknown[0],
            )


def cast_column(spec: ColumnSpec, values: np.ndarray) -> np.ndarray:
    """Return ``values`` as the column's type, or raise naming the column and a bad value."""
    kind = values.dtype.kind
    target = spec.dtype
    if target in NUMERIC:
        return _cast_numeric(spec, values, kind)
    if target == "bool":
        if kind == "b":
            return values
        if kind == "O" and all(isinstance(v, bool | np.bool_) for v in values):
            return values.astype(bool)
        raise _bad(spec, values, "true or false")
    if kind in "OUT":
        bad = [v for v in values if not isinstance(v, str)]
        if not bad:
            return values.astype(object)
        if all(v is None or (isinstance(v, float) and v != v) for v in bad):
            return values.astype(object)
    raise _bad(spec, values, "a string")


def _cast_numeric(spec: ColumnSpec, values: np.ndarray, kind: str) -> np.ndarray:
    dtype = spec.numpy_dtype
    if kind == "O":
        if any(isinstance(v, bool | np.bool_ | str) or v is None for v in values):
            raise _bad(spec, values, "a number")
        try:
            values = values.astype(np.float64)
        except (TypeError, ValueError) as err:
            raise _bad(spec, values, "a number") from err
        kind = "f"
    if kind in "iu":
        return values.astype(dtype, copy=False)
    if kind != "f":
        raise _bad(spec, values, "a number")
    if dtype.kind == "f":
        return values.astype(dtype, copy=False)
    finite = np.isfinite(values)
    if not finite.all():
        row = int(np.argmin(finite))
        raise SignatureMismatch(
            f"column {spec.name!r} expects {spec.dtype} but row {row} is missing or infinite "
            f"({_py(values[row])!r}); fill it or declare the column float64",
            field=spec.name,
        )
    integral = values == np.round(values)
    if not integral.all():
        row = int(np.argmin(integral))
        raise SignatureMismatch(
            f"column {spec.name!r} expects {spec.dtype} but row {row} is {_py(values[row])!r}",
            field=spec.name,
        )
    return values.astype(dtype)


def _bad(spec: ColumnSpec, values: np.ndarray, wanted: str) -> SignatureMismatch:
    example: Any = values.dtype
    for v in values:
        ok = isinstance(v, str) if spec.dtype == "string" else not isinstance(v, str)
        if spec.dtype == "bool":
            ok = isinstance(v, bool | np.bool_)
        if not ok:
            example = f"{_py(v)!r} ({type(_py(v)).__name__})"
            break
    return SignatureMismatch(
        f"column {spec.name!r} expects {spec.dtype} ({wanted}), got {example}",
        field=spec.name,
    )


def _py(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _short(names: Sequence[str], limit: int = 8) -> str:
    shown = ", ".join(repr(n) for n in names[:limit])
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return f"[{shown}{more}]"


def _as_array(values: Any) -> np.ndarray:
    if isinstance(values, np.ndarray):
        return values
    try:
        arr = np.asarray(values)
    except ValueError:
        arr = np.asarray(values, dtype=object)
    if arr.ndim != 1 or (arr.dtype.kind in "US" and not all(isinstance(v, str) for v in values)):
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
    return arr

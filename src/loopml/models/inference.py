"""Infer a :class:`Signature` from example inputs and the model's output on them (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.models.errors import SignatureMismatch
from loopml.models.signatures import ColumnSpec, Signature

if TYPE_CHECKING:
    from collections.abc import Sequence


def infer_signature(
    example: Any, output: Any = None, *, feature_names: Sequence[str] | None = None
) -> Signature:
    """Infer input columns from ``example`` and outputs from ``output``.

    Args:
        example: a pandas DataFrame, a 2-D numpy array (columns named ``feature_names``
            or ``f0, f1, ...``), a list of row dicts, or a dict of columns.
        output: what the model returned for ``example`` (array, Series, DataFrame, list).
        feature_names: names for the columns of an array example.

    Returns:
        The signature.

    Raises:
        SignatureMismatch: a column's values have no signature type (say which).

    Example:
        >>> import numpy as np
        >>> infer_signature(np.zeros((2, 2)), np.array([0, 1])).to_dict()["inputs"]
        [{'name': 'f0', 'dtype': 'float64'}, {'name': 'f1', 'dtype': 'float64'}]
    """
    return Signature(infer_inputs(example, feature_names), infer_outputs(output))


def infer_inputs(
    example: Any, feature_names: Sequence[str] | None = None
) -> tuple[ColumnSpec, ...]:
    """Infer the input columns of an example (see :func:`infer_signature`)."""
    if _is_frame(example):
        return tuple(
            ColumnSpec(str(name), column_dtype(str(name), example[name].to_numpy()))
            for name in example.columns
        )
    if isinstance(example, dict):
        return tuple(
            ColumnSpec(str(k), column_dtype(str(k), _array(v))) for k, v in example.items()
        )
    if isinstance(example, list | tuple) and example and isinstance(example[0], dict):
        names = list(dict.fromkeys(k for row in example for k in row))
        return tuple(
            ColumnSpec(str(k), column_dtype(str(k), _array([row.get(k) for row in example])))
            for k in names
        )
    arr = np.asarray(example)
    if arr.ndim == 1:
        arr = arr.reshape(1, -1)
    if arr.ndim != 2:
        raise SignatureMismatch(
            f"cannot infer a signature from an example of shape {arr.shape}; pass a DataFrame, "
            "a 2-D array, a list of row dicts or a dict of columns"
        )
    names = list(feature_names) if feature_names is not None else []
    if len(names) != arr.shape[1]:
        names = [f"f{j}" for j in range(arr.shape[1])]
    return tuple(ColumnSpec(names[j], column_dtype(names[j], arr[:, j])) for j in range(len(names)))


def infer_outputs(output: Any) -> tuple[ColumnSpec, ...]:
    """Infer output columns: one ``prediction`` column, or the columns of a frame."""
    if output is None:
        return ()
    if _is_frame(output):
        return infer_inputs(output)
    if type(output).__name__ == "Series":
        name = str(output.name) if output.name is not None else "prediction"
        return (ColumnSpec(name, column_dtype(name, output.to_numpy())),)
    arr = _array(output)
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim == 1:
        return (ColumnSpec("prediction", column_dtype("prediction", arr)),)
    if arr.ndim == 2:
        return tuple(
            ColumnSpec(f"prediction_{j}", column_dtype(f"prediction_{j}", arr[:, j]))
            for j in range(arr.shape[1])
        )
    raise SignatureMismatch(f"cannot describe a model output of shape {arr.shape}")


def column_dtype(name: str, values: np.ndarray) -> str:
    """Return the signature type of a column of values.

    Raises:
        SignatureMismatch: the values are not numbers, booleans or strings.
    """
    kind, size = values.dtype.kind, values.dtype.itemsize
    if kind == "f":
        return "float32" if size <= 4 else "float64"
    if kind == "i":
        return "int32" if size <= 4 else "int64"
    if kind == "u":
        return "int32" if size < 4 else "int64"
    if kind == "b":
        return "bool"
    if kind in "USO" or kind == "T":
        return _object_dtype(name, values)
    raise SignatureMismatch(
        f"column {name!r} holds {values.dtype} values; a signature column is a number, a "
        "boolean or a string: convert it (for example datetimes to epoch seconds) first",
        field=name,
    )


def _object_dtype(name: str, values: np.ndarray) -> str:
    present = [v for v in values if not (v is None or (isinstance(v, float) and v != v))]
    if all(isinstance(v, str) for v in present):
        return "string"
    if all(isinstance(v, bool | np.bool_) for v in present):
        return "bool"
    if all(isinstance(v, int | np.integer) and not isinstance(v, bool) for v in present):
        return "int64" if len(present) == len(values) else "float64"
    if all(isinstance(v, int | float | np.number) and not isinstance(v, bool) for v in present):
        return "float64"
    kinds = sorted({type(v).__name__ for v in present})
    raise SignatureMismatch(
        f"column {name!r} mixes value types {kinds}; make every value a number, a boolean or "
        "a string",
        field=name,
    )


def _array(values: Any) -> np.ndarray:
    if hasattr(values, "to_numpy"):
        return np.asarray(values.to_numpy())
    try:
        arr = np.asarray(values)
    except ValueError:
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
    mixed = isinstance(values, list | tuple) and not all(isinstance(v, str) for v in values)
    if arr.dtype.kind in "US" and mixed:
        arr = np.empty(len(values), dtype=object)
        arr[:] = list(values)
    return arr


def _is_frame(obj: object) -> bool:
    return type(obj).__name__ == "DataFrame" and hasattr(obj, "columns")

"""Turn what a caller passes to ``predict`` into what the model takes, checked by signature.

Callers pass a pandas DataFrame, JSON-style records (a list of dicts, or one dict), a
mapping of columns, or a 2-D array whose columns follow the signature. Models take a
2-D array, or a named DataFrame when they were fitted on one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np

from loopml.models.errors import SignatureMismatch

if TYPE_CHECKING:
    from loopml.models.signatures import Signature


def prepare(signature: Signature | None, data: Any, *, wants_frame: bool) -> Any:
    """Validate ``data`` against ``signature`` and convert it for the model.

    Raises:
        SignatureMismatch: the data does not fit the signature (the message names the field).
    """
    if signature is None:
        return _unsigned(data)
    if is_frame(data):
        frame = signature.validate_frame(data)
        return frame if wants_frame else frame_to_array(signature, frame)
    if isinstance(data, Mapping):
        if all(_is_scalar(v) for v in data.values()):
            columns = signature.validate_records([dict(data)])
        else:
            columns = signature.validate_columns(data)
    elif isinstance(data, list | tuple) and data and isinstance(data[0], Mapping):
        columns = signature.validate_records(list(data))
    else:
        array = signature.validate_array(data)
        return array_to_frame(signature, array) if wants_frame else array
    if wants_frame:
        return _frame(columns)
    return columns_to_array(signature, columns)


def array_to_frame(signature: Signature, array: np.ndarray) -> Any:
    """Return a DataFrame with the signature's column names and types."""
    return _frame(
        {
            spec.name: array[:, j].astype(spec.numpy_dtype, copy=False)
            for j, spec in enumerate(signature.inputs)
        }
    )


def frame_to_array(signature: Signature, frame: Any) -> np.ndarray:
    """Return a validated frame's values as one 2-D array (float64 when all numeric)."""
    if signature.is_numeric:
        return np.asarray(frame.to_numpy(dtype=_common_dtype(signature)))
    return np.asarray(frame.to_numpy(dtype=object))


def columns_to_array(signature: Signature, columns: Mapping[str, np.ndarray]) -> np.ndarray:
    """Stack typed columns into a 2-D array in signature order."""
    dtype = _common_dtype(signature) if signature.is_numeric else np.dtype(object)
    first = columns[signature.inputs[0].name]
    out = np.empty((len(first), len(signature.inputs)), dtype=dtype)
    for j, spec in enumerate(signature.inputs):
        out[:, j] = columns[spec.name]
    return out


def is_frame(obj: object) -> bool:
    """Whether ``obj`` is a pandas DataFrame (without importing pandas)."""
    return type(obj).__name__ == "DataFrame" and type(obj).__module__.startswith("pandas")


def _common_dtype(signature: Signature) -> np.dtype[Any]:
    return np.result_type(*(spec.numpy_dtype for spec in signature.inputs))


def _unsigned(data: Any) -> Any:
    if isinstance(data, list | tuple) and data and isinstance(data[0], Mapping):
        return _frame_from_records(list(data))
    if isinstance(data, Mapping):
        return _frame({k: v if not _is_scalar(v) else [v] for k, v in data.items()})
    return data


def _is_scalar(value: object) -> bool:
    return not isinstance(value, list | tuple | np.ndarray) and not hasattr(value, "to_numpy")


def _frame(columns: Mapping[str, Any]) -> Any:
    import pandas as pd  # only models fitted on a DataFrame get here

    try:
        return pd.DataFrame(dict(columns))
    except ValueError as err:
        raise SignatureMismatch(f"cannot build a table from the input: {err}") from err


def _frame_from_records(records: list[Mapping[str, Any]]) -> Any:
    import pandas as pd

    return pd.DataFrame.from_records(records)

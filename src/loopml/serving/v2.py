"""The Open Inference Protocol V2 (KServe V2) codec: tensors in, tensors out.

Implements the JSON inference request and response objects of the spec and the
``binary_tensor_data`` extension used by Triton's client libraries (a JSON header of
``Inference-Header-Content-Length`` bytes followed by raw tensor bytes).

Inputs are either one 2-D tensor holding every signature column (any name, shape
``[rows, columns]``), or one tensor per signature column, named after it, of shape
``[rows]`` or ``[rows, 1]``. Outputs: ``predict`` (one value per row),
``predict_proba`` (class probabilities, when the model has them) and
``prediction_id`` (BYTES, the ids to send feedback with).
"""

from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import orjson

from loopml.serving.errors import MalformedRequest, RequestInvalid

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.serving.validation import Validator

#: V2 datatype -> numpy dtype
DATATYPES: dict[str, Any] = {
    "BOOL": np.bool_,
    "UINT8": np.uint8,
    "UINT16": np.uint16,
    "UINT32": np.uint32,
    "UINT64": np.uint64,
    "INT8": np.int8,
    "INT16": np.int16,
    "INT32": np.int32,
    "INT64": np.int64,
    "FP16": np.float16,
    "FP32": np.float32,
    "FP64": np.float64,
    "BYTES": np.object_,
}
#: which JSON value kinds (numpy inference) each datatype accepts
_ACCEPTS = {"BOOL": "b", "BYTES": "UO"}
OUTPUTS = ("predict", "predict_proba", "prediction_id")
BINARY_HEADER = "inference-header-content-length"
_SIGNATURE_DATATYPE = {"f": "FP64", "i": "INT64", "b": "BOOL", "s": "BYTES"}


@dataclass(frozen=True, slots=True)
class InferRequest:
    """A decoded V2 inference request."""

    x: np.ndarray
    id: str | None
    outputs: tuple[str, ...] | None
    binary: frozenset[str]
    routing_key: str | None


def datatype_of(array: np.ndarray) -> str:
    """Return the V2 datatype name of an ndarray."""
    kind = array.dtype.kind
    if kind == "b":
        return "BOOL"
    if kind in "iuf":
        prefix = {"i": "INT", "u": "UINT", "f": "FP"}[kind]
        return f"{prefix}{array.dtype.itemsize * 8}"
    return "BYTES"


def datatype_of_dtype(dtype: str) -> str:
    """Return the V2 datatype of a signature dtype string (``int64`` -> ``INT64``...)."""
    try:
        return datatype_of(np.empty(0, dtype=np.dtype(dtype)))
    except TypeError:
        return "BYTES"


def signature_tensors(validator: Validator) -> list[dict[str, Any]]:
    """Describe the inputs a request sends, as V2 metadata tensors.

    A numeric model takes one ``[rows, columns]`` FP64 tensor (``input-0``); a model with
    text columns takes one ``[rows]`` tensor per column, named after it. (The server also
    accepts per-column tensors for numeric models; the metadata lists one complete way.)
    """
    if validator.columns is None:
        return [{"name": "input-0", "datatype": "FP64", "shape": [-1, -1]}]
    if validator.numeric:
        return [{"name": "input-0", "datatype": "FP64", "shape": [-1, len(validator.columns)]}]
    return [
        {"name": name, "datatype": _SIGNATURE_DATATYPE[kind], "shape": [-1]}
        for name, kind in zip(validator.columns, validator.kinds, strict=True)
    ]


def decode(
    body: Any, validator: Validator, binary: bytes = b"", *, exact: bool = False
) -> InferRequest:
    """Validate a V2 inference request body and build the model input.

    ``exact`` checks values one by one (the JSON may hold booleans among numbers).

    Raises:
        MalformedRequest: the body is not an inference request object.
        RequestInvalid: a tensor's name, datatype, shape or values do not fit the signature.
    """
    if not isinstance(body, dict):
        raise MalformedRequest("a V2 inference request must be a JSON object with 'inputs'")
    inputs = body.get("inputs")
    if not isinstance(inputs, list) or not inputs:
        raise RequestInvalid("'inputs' must be a non-empty list of tensors", field="inputs")
    tensors: list[tuple[str, np.ndarray]] = []
    offset = 0
    for index, spec in enumerate(inputs):
        name, tensor, used = _tensor(spec, index, binary, offset, exact)
        offset += used
        tensors.append((name, tensor))
    x = _assemble(tensors, validator, exact)
    given = body.get("parameters")
    parameters: dict[str, Any] = given if isinstance(given, dict) else {}
    outputs, binary_outputs = _requested_outputs(body.get("outputs"), parameters)
    request_id = body.get("id")
    key = parameters.get("routing_key")
    return InferRequest(
        x=x,
        id=str(request_id) if request_id is not None else None,
        outputs=outputs,
        binary=binary_outputs,
        routing_key=str(key) if key is not None else None,
    )


def _tensor(
    spec: Any, index: int, binary: bytes, offset: int, exact: bool
) -> tuple[str, np.ndarray, int]:
    where = f"inputs[{index}]"
    if not isinstance(spec, dict):
        raise RequestInvalid(f"{where} must be a tensor object", field=where)
    name = spec.get("name")
    if not isinstance(name, str):
        raise RequestInvalid(f"{where} needs a 'name' string", field=where)
    where = f"input {name!r}"
    datatype = spec.get("datatype")
    if datatype not in DATATYPES:
        raise RequestInvalid(
            f"{where} has datatype {datatype!r}; use one of {', '.join(DATATYPES)}", field=name
        )
    shape = spec.get("shape")
    if not isinstance(shape, list) or not all(type(d) is int and d >= 0 for d in shape):
        raise RequestInvalid(
            f"{where} needs a 'shape' list of non-negative integers, got {shape!r}", field=name
        )
    size = math.prod(shape)
    parameters = spec.get("parameters") or {}
    raw_size = parameters.get("binary_data_size") if isinstance(parameters, dict) else None
    if raw_size is not None:
        if type(raw_size) is not int or raw_size < 0:
            raise RequestInvalid(
                f"{where} has binary_data_size {raw_size!r}; it must be a byte count",
                field=f"{name}.parameters.binary_data_size",
            )
        raw = binary[offset : offset + raw_size]
        if len(raw) != raw_size:
            raise MalformedRequest(
                f"{where} announces {raw_size} binary bytes but the body holds {len(raw)}"
            )
        flat = _from_binary(raw, datatype, where)
        used = int(raw_size)
    else:
        flat = _from_json(spec.get("data"), datatype, where, exact)
        used = 0
    if flat.size != size:
        raise RequestInvalid(
            f"{where} has shape {shape}, which needs {size} values, but its data holds {flat.size}",
            field=name,
        )
    return name, flat.reshape(shape), used


def _from_json(data: Any, datatype: str, where: str, exact: bool) -> np.ndarray:
    if not isinstance(data, list):
        raise RequestInvalid(f"{where} needs 'data' as a JSON array", field=where)
    if exact and datatype != "BOOL" and _has_bool(data):
        raise RequestInvalid(f"{where} is {datatype} but its data holds booleans", field=where)
    try:
        array = np.array(data)
    except ValueError as err:
        raise RequestInvalid(f"{where} data is ragged: {err}", field=where) from None
    allowed = _ACCEPTS.get(datatype, "iuf" if datatype.startswith("FP") else "iu")
    if array.size and array.dtype.kind not in allowed:
        raise RequestInvalid(
            f"{where} is {datatype} but its data holds {_kind_name(array)}", field=where
        )
    if datatype == "BYTES":
        return array.astype(object).reshape(-1)
    target = np.dtype(DATATYPES[datatype])
    if target.kind in "iu" and array.size:
        limits = np.iinfo(target)
        low, high = array.min(), array.max()
        if low < limits.min or high > limits.max:
            raise RequestInvalid(
                f"{where} is {datatype} but holds {low if low < limits.min else high}, outside "
                f"[{limits.min}, {limits.max}]",
                field=where,
            )
    return array.astype(target, copy=False).reshape(-1)


def _has_bool(data: list[Any]) -> bool:
    pending = [data]
    while pending:
        for value in pending.pop():
            if type(value) is bool:
                return True
            if type(value) is list:
                pending.append(value)
    return False


def _from_binary(raw: bytes, datatype: str, where: str) -> np.ndarray:
    if datatype != "BYTES":
        itemsize = np.dtype(DATATYPES[datatype]).itemsize
        if len(raw) % itemsize:
            raise MalformedRequest(f"{where}: {len(raw)} bytes is not a whole number of {datatype}")
        return np.frombuffer(raw, dtype=np.dtype(DATATYPES[datatype]).newbyteorder("<"))
    items: list[str] = []
    position = 0
    while position < len(raw):
        if position + 4 > len(raw):
            raise MalformedRequest(f"{where}: truncated BYTES element at byte {position}")
        (length,) = struct.unpack_from("<I", raw, position)
        position += 4
        items.append(raw[position : position + length].decode("utf-8", "replace"))
        position += length
    return np.array(items, dtype=object)


def _kind_name(array: np.ndarray) -> str:
    return {"U": "strings", "O": "mixed values or nulls", "b": "booleans", "f": "floats"}.get(
        array.dtype.kind, str(array.dtype)
    )


def _assemble(
    tensors: Sequence[tuple[str, np.ndarray]], validator: Validator, exact: bool
) -> np.ndarray:
    if len(tensors) == 1 and (validator.width != 1 or not validator.has_column(tensors[0][0])):
        name, tensor = tensors[0]
        width = validator.width
        if tensor.ndim == 1 and width is not None and width > 1 and tensor.shape[0] == width:
            tensor = tensor.reshape(1, -1)
        elif tensor.ndim == 1:
            tensor = tensor.reshape(-1, 1)
        return validator.matrix(tensor, f"input {name!r}")
    columns: dict[str, Any] = {}
    for name, tensor in tensors:
        if tensor.ndim == 2 and tensor.shape[1] == 1:
            tensor = tensor[:, 0]
        if tensor.ndim != 1:
            raise RequestInvalid(
                f"input {name!r} has shape {list(tensor.shape)}; with one tensor per column each "
                "must be [rows] or [rows, 1]",
                field=name,
            )
        columns[name] = tensor.tolist()
    return validator.column_arrays(columns, "inputs")


def _requested_outputs(
    outputs: Any, parameters: dict[str, Any]
) -> tuple[tuple[str, ...] | None, frozenset[str]]:
    everything_binary = bool(parameters.get("binary_data_output"))
    if outputs is None:
        return None, frozenset(OUTPUTS) if everything_binary else frozenset()
    if not isinstance(outputs, list):
        raise RequestInvalid("'outputs' must be a list of {'name': ...} objects", field="outputs")
    names: list[str] = []
    binary: set[str] = set()
    for spec in outputs:
        name = spec.get("name") if isinstance(spec, dict) else None
        if name not in OUTPUTS:
            raise RequestInvalid(
                f"unknown output {name!r}; this server produces {', '.join(OUTPUTS)}",
                field="outputs",
            )
        names.append(name)
        own = spec.get("parameters") or {}
        if everything_binary or (isinstance(own, dict) and own.get("binary_data")):
            binary.add(name)
    return tuple(names), frozenset(binary)


def encode(
    model_name: str,
    model_version: int,
    request_id: str,
    outputs: Sequence[tuple[str, np.ndarray]],
    binary: frozenset[str],
) -> tuple[bytes, int | None]:
    """Return the response body and, for binary outputs, the JSON header length."""
    tensors = []
    chunks: list[bytes] = []
    for name, array in outputs:
        tensor: dict[str, Any] = {
            "name": name,
            "shape": list(array.shape),
            "datatype": datatype_of(array),
        }
        if name in binary:
            raw = _to_binary(array)
            tensor["parameters"] = {"binary_data_size": len(raw)}
            chunks.append(raw)
        else:
            tensor["data"] = array.reshape(-1) if array.dtype.kind in "biuf" else array.tolist()
        tensors.append(tensor)
    body = {
        "model_name": model_name,
        "model_version": str(model_version),
        "id": request_id,
        "outputs": tensors,
    }
    header = orjson.dumps(body, option=orjson.OPT_SERIALIZE_NUMPY)
    if not chunks:
        return header, None
    return header + b"".join(chunks), len(header)


def _to_binary(array: np.ndarray) -> bytes:
    if array.dtype.kind in "biuf":
        return np.ascontiguousarray(array).astype(array.dtype.newbyteorder("<")).tobytes()
    parts = []
    for item in array.reshape(-1).tolist():
        data = item if isinstance(item, bytes) else str(item).encode()
        parts.append(struct.pack("<I", len(data)) + data)
    return b"".join(parts)

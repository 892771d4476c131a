"""Shared pieces of the REST models: the base config and JSON conversion of entities."""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, PlainSerializer, WithJsonSchema


def _read_float(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value  # let validation explain what is wrong
    return value


def _write_float(value: float) -> float | str:
    return value if math.isfinite(value) else _non_finite(value)


#: a float that may be NaN or infinite: JSON carries those as "NaN", "Infinity", "-Infinity"
JsonFloat = Annotated[
    float,
    BeforeValidator(_read_float),
    PlainSerializer(_write_float, return_type=float | str, when_used="json"),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"enum": ["NaN", "Infinity", "-Infinity"]}]}),
]


class Model(BaseModel):
    """Base of every REST model: read from dataclass attributes, NaN kept as strings."""

    model_config = ConfigDict(from_attributes=True)


class Deleted(Model):
    """The answer of a delete."""

    deleted: bool = True


def jsonable(value: Any) -> Any:
    """Return ``value`` (entities, datetimes, numpy scalars...) as JSON-ready data."""
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else _non_finite(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return value.total_seconds()
    if isinstance(value, dt.date):
        return value.isoformat()
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict) and not isinstance(value, type):
        return jsonable(to_dict())
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: jsonable(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    item = getattr(value, "item", None)  # numpy scalars
    if callable(item):
        return jsonable(item())
    return str(value)


def _non_finite(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"

"""Feature types and how source column types (as DuckDB names them) map onto them (pure).

A feature has one of :data:`FEATURE_TYPES`. A view may declare the type of each feature
or let it be inferred from its source; a source column is readable as a feature type when
the conversion loses nothing (:func:`is_readable_as`).
"""

from __future__ import annotations

from typing import Literal, get_args

from loopml.features.errors import InvalidDefinition

FeatureType = Literal["float64", "float32", "int64", "int32", "bool", "string", "timestamp"]
FEATURE_TYPES: tuple[str, ...] = get_args(FeatureType)
KeyType = Literal["int64", "string"]

#: feature type -> the DuckDB type it is cast to when a source column differs
DUCKDB_TYPE: dict[str, str] = {
    "float64": "DOUBLE",
    "float32": "FLOAT",
    "int64": "BIGINT",
    "int32": "INTEGER",
    "bool": "BOOLEAN",
    "string": "VARCHAR",
    "timestamp": "TIMESTAMP WITH TIME ZONE",
}

_INT64 = {"BIGINT", "UINTEGER"}
_INT32 = {"INTEGER", "SMALLINT", "TINYINT", "USMALLINT", "UTINYINT"}
_FLOAT = {"DOUBLE", "FLOAT", "REAL"}
_TIMESTAMPS = {
    "TIMESTAMP",
    "TIMESTAMP_NS",
    "TIMESTAMP_MS",
    "TIMESTAMP_S",
    "TIMESTAMP WITH TIME ZONE",
    "TIMESTAMP_NS WITH TIME ZONE",
    "TIMESTAMPTZ",
    "TIMESTAMPTZ_NS",
    "DATE",
}


def base_type(duckdb_type: str) -> str:
    """Return a DuckDB type name without parameters (``DECIMAL(18,3)`` -> ``DECIMAL``)."""
    return duckdb_type.split("(", 1)[0].strip().upper()


def infer_feature_type(duckdb_type: str, column: str = "?") -> str:
    """Return the feature type that holds a source column of ``duckdb_type`` without loss.

    Raises:
        InvalidDefinition: the column type has no feature type (lists, structs, blobs...).
    """
    name = base_type(duckdb_type)
    if name in _FLOAT or name == "DECIMAL":
        return "float32" if name in {"FLOAT", "REAL"} else "float64"
    if name in _INT64:
        return "int64"
    if name in _INT32:
        return "int32"
    if name == "BOOLEAN":
        return "bool"
    if name == "VARCHAR":
        return "string"
    if name in _TIMESTAMPS:
        return "timestamp"
    raise InvalidDefinition(
        f"column {column!r} has type {duckdb_type}, which no feature type holds; "
        f"supported feature types: {', '.join(FEATURE_TYPES)}. Cast it in the source or "
        "leave it out of the view's features"
    )


def is_readable_as(duckdb_type: str, feature_type: str) -> bool:
    """Whether a source column of ``duckdb_type`` converts to ``feature_type`` losslessly."""
    try:
        natural = infer_feature_type(duckdb_type)
    except InvalidDefinition:
        return False
    if natural == feature_type:
        return True
    widening = {
        "int32": {"int64", "float64"},
        "int64": {"float64"},
        "float32": {"float64"},
        "bool": {"int32", "int64"},
    }
    return feature_type in widening.get(natural, set())


def needs_cast(duckdb_type: str, feature_type: str) -> bool:
    """Whether reading the column as ``feature_type`` needs an explicit SQL cast."""
    if feature_type == "timestamp":
        return False
    return base_type(duckdb_type) != DUCKDB_TYPE[feature_type]


def key_type(duckdb_type: str, column: str) -> str:
    """Return the key type (``int64`` or ``string``) of an entity column.

    Raises:
        InvalidDefinition: the column is neither an integer nor a string.
    """
    name = base_type(duckdb_type)
    if name in _INT64 or name in _INT32:
        return "int64"
    if name == "VARCHAR":
        return "string"
    raise InvalidDefinition(
        f"entity column {column!r} has type {duckdb_type}; entity keys must be integers or "
        "strings. Cast the column in the source"
    )


def timestamp_kind(duckdb_type: str, column: str) -> str:
    """Return ``"aware"`` or ``"naive"`` for a timestamp column.

    Raises:
        InvalidDefinition: the column is not a timestamp or date.
    """
    name = base_type(duckdb_type)
    if name not in _TIMESTAMPS:
        raise InvalidDefinition(
            f"timestamp column {column!r} has type {duckdb_type}, not a timestamp; convert "
            "it in the source (for example pd.to_datetime(df[col], utc=True))"
        )
    return "aware" if is_aware(name) else "naive"


def is_aware(duckdb_type: str) -> bool:
    """Whether a DuckDB timestamp type carries a time zone (``TIMESTAMPTZ``, ``..._NS``...)."""
    name = base_type(duckdb_type)
    return "TIME ZONE" in name or name.startswith("TIMESTAMPTZ")


def check_feature_type(name: str, declared: str) -> str:
    """Validate a declared feature type and return it.

    Raises:
        InvalidDefinition: ``declared`` is not one of :data:`FEATURE_TYPES`.
    """
    if declared not in FEATURE_TYPES:
        raise InvalidDefinition(
            f"feature {name!r} has unknown type {declared!r}; use one of {', '.join(FEATURE_TYPES)}"
        )
    return declared

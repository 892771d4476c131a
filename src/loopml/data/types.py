"""Declared column types: exact logical types or families (``int``, ``numeric``, ``string``...)."""

from __future__ import annotations

#: Type families a column may declare instead of an exact logical type.
TYPE_FAMILIES = {
    "int": "integer",
    "integer": "integer",
    "float": "floating",
    "floating": "floating",
    "numeric": "numeric",
    "number": "numeric",
    "bool": "boolean",
    "boolean": "boolean",
    "str": "string",
    "string": "string",
    "text": "string",
    "datetime": "datetime",
    "timestamp": "datetime",
    "date": "date",
}


def matches_type(declared: str, actual: str) -> bool:
    """Whether a column of logical type ``actual`` satisfies the ``declared`` type.

    Example:
        >>> matches_type("numeric", "int32"), matches_type("int64", "int32")
        (True, False)
    """
    family = TYPE_FAMILIES.get(declared.lower())
    if family is None:
        return declared == actual
    return family in families(actual)


def families(actual: str) -> set[str]:
    """The families a logical type belongs to."""
    if actual.startswith(("int", "uint")):
        return {"integer", "numeric"}
    if actual in {"float", "double", "halffloat"} or actual.startswith("decimal"):
        return {"floating", "numeric"}
    if actual == "bool":
        return {"boolean"}
    if actual == "string":
        return {"string"}
    if actual.startswith("timestamp"):
        return {"datetime"}
    if actual.startswith("date"):
        return {"date", "datetime"}
    return set()

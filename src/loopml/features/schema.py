"""Check a view against its source's columns, resolve feature types, detect schema drift (pure)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml.features.definitions import Feature, FeatureView
from loopml.features.errors import InvalidDefinition, SourceError, SourceSchemaChanged
from loopml.features.types import (
    infer_feature_type,
    is_readable_as,
    key_type,
    timestamp_kind,
)

if TYPE_CHECKING:
    from collections.abc import Mapping


def resolve_view(
    view: FeatureView, columns: Mapping[str, str]
) -> tuple[FeatureView, dict[str, str]]:
    """Check ``view`` against its source columns; return it with typed features, and its schema.

    Args:
        view: the declared view.
        columns: ``{column: DuckDB type}`` of the source.

    Returns:
        The view with every feature typed (all other columns when ``features`` was
        ``None``) and ``{column: DuckDB type}`` of the columns the view uses.

    Raises:
        SourceError: a column the view names is missing from the source.
        InvalidDefinition: a column has a type the view cannot use.
    """
    used = [*view.entity, view.timestamp]
    if view.created_timestamp:
        used.append(view.created_timestamp)
    for column in used:
        _require(view, columns, column)
    for key in view.entity:
        key_type(columns[key], key)
    timestamp_kind(columns[view.timestamp], view.timestamp)
    if view.created_timestamp:
        timestamp_kind(columns[view.created_timestamp], view.created_timestamp)
    declared = view.features
    if declared is None:
        declared = tuple(Feature(c) for c in columns if c not in used)
        if not declared:
            raise InvalidDefinition(
                f"feature view {view.name!r}: the source has no feature columns"
            )
    features = tuple(_typed(view, columns, f) for f in declared)
    schema = {c: columns[c] for c in (*used, *(f.name for f in features))}
    return view.with_features(features), schema


def _require(view: FeatureView, columns: Mapping[str, str], column: str) -> None:
    if column not in columns:
        raise SourceError(
            f"feature view {view.name!r}: column {column!r} is not in its source "
            f"({view.source.describe()}); the source has {sorted(columns)}"
        )


def _typed(view: FeatureView, columns: Mapping[str, str], feature: Feature) -> Feature:
    _require(view, columns, feature.name)
    source_type = columns[feature.name]
    if feature.dtype is None:
        return Feature(feature.name, infer_feature_type(source_type, feature.name))
    if not is_readable_as(source_type, feature.dtype):
        raise InvalidDefinition(
            f"feature view {view.name!r}: feature {feature.name!r} is declared {feature.dtype} "
            f"but its source column has type {source_type}, which does not convert without "
            "loss; fix the declared type or the source"
        )
    return feature


def check_schema(
    view: FeatureView, recorded: Mapping[str, str], current: Mapping[str, str]
) -> None:
    """Raise if the source changed under a registered view in a way the view cannot read.

    A column that disappeared, a key or timestamp column whose kind changed, or a feature
    column that no longer converts to the feature's type is an error; a compatible change
    (for example INTEGER -> BIGINT) is not.

    Raises:
        SourceSchemaChanged: naming the column, its old and new type, and what to do.
    """
    for column, old in recorded.items():
        new = current.get(column)
        if new is None:
            raise SourceSchemaChanged(
                f"feature view {view.name!r}: column {column!r} ({old}) is gone from its source "
                f"({view.source.describe()}) since the view was registered; restore it or "
                "update and re-apply the view"
            )
        if new != old and not _compatible(view, column, new, old):
            raise SourceSchemaChanged(
                f"feature view {view.name!r}: column {column!r} changed type from {old} to "
                f"{new} in its source ({view.source.describe()}) since the view was "
                "registered; fix the source or update and re-apply the view"
            )


def _compatible(view: FeatureView, column: str, new: str, old: str) -> bool:
    try:
        if column in view.entity:
            return key_type(new, column) == key_type(old, column)
        if column in (view.timestamp, view.created_timestamp):
            return timestamp_kind(new, column) == timestamp_kind(old, column)
    except InvalidDefinition:
        return False
    feature = next(f for f in view.features or () if f.name == column)
    return feature.dtype is not None and is_readable_as(new, feature.dtype)

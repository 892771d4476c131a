"""Errors of the feature store; each derives from a :mod:`loopml.errors` class.

Hierarchy::

    NotFound (404)
    ├── FeatureViewNotFound       no view of that name (or version)
    ├── EntityNotFound            a view names an entity nobody registered
    └── FeatureNotFound           "view:feature" names a feature the view lacks
    InvalidInput (422)
    ├── InvalidDefinition         an Entity or FeatureView is malformed
    ├── InvalidFeatureReference   a reference is not "view:feature"
    ├── SpineError                the spine lacks a column, or its timestamps are unusable
    └── SourceError               a source cannot be read or lacks a column
    Conflict (409)
    ├── SourceSchemaChanged       a source column changed type under a registered view
    └── MaterializationInProgress another process is materializing the same view
"""

from __future__ import annotations

from loopml.errors import Conflict, InvalidInput, NotFound


class FeatureViewNotFound(NotFound):
    """No feature view with that name (or version) is registered."""


class EntityNotFound(NotFound):
    """A feature view names an entity that is not registered."""


class FeatureNotFound(NotFound):
    """A feature reference names a feature its view does not have."""


class InvalidDefinition(InvalidInput):
    """An :class:`~loopml.features.Entity` or :class:`~loopml.features.FeatureView` is malformed."""


class InvalidFeatureReference(InvalidInput):
    """A feature reference is not of the form ``"view:feature"``."""


class SpineError(InvalidInput):
    """The spine (entity DataFrame) lacks a column or holds unusable timestamps."""


class SourceError(InvalidInput):
    """A feature view's source cannot be read, or lacks a column the view needs."""


class SourceSchemaChanged(Conflict):
    """A source column changed type since the view was registered."""


class MaterializationInProgress(Conflict):
    """Another process holds the materialization lease of a view."""

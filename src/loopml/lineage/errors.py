"""Errors of lineage queries, reproduction and comparisons."""

from __future__ import annotations

from loopml.errors import Conflict, InvalidInput, NotFound


class LineageNotFound(NotFound):
    """No run, model version, dataset version, pipeline run or prediction has this id."""


class AmbiguousReference(InvalidInput):
    """A reference names more than one thing (a model version and a dataset version)."""


class NotReproducible(Conflict):
    """Something a reproduction needs is missing (a commit, a dataset, a stored diff)."""

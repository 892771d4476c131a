"""Errors of hyper-parameter search."""

from __future__ import annotations

from loopml.errors import NotFound


class StudyNotFound(NotFound):
    """No study with this name in the metadata database."""

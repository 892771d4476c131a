"""Identifier helpers."""

from __future__ import annotations

import uuid


def new_id() -> str:
    """Return a new random 32-character hex identifier."""
    return uuid.uuid4().hex

"""Fixtures shared with the loop tests."""

from __future__ import annotations

from tests.loop.conftest import deployed

__all__ = ["deployed"]

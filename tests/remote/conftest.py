"""Fixtures: ``loopml up`` in a subprocess (one per module) and clients pointed at it."""

from __future__ import annotations

from tests.server.conftest import server, shared_server

__all__ = ["server", "shared_server"]

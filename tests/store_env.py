"""The environment that points a child process at a test client's store."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from loopml.config import Settings


def store_env(settings: Settings) -> dict[str, str]:
    """``LOOPML_HOME``, ``LOOPML_DB_URL`` and ``LOOPML_ARTIFACTS`` of ``settings``."""
    return {
        "LOOPML_HOME": str(settings.home),
        "LOOPML_DB_URL": settings.db_url,
        "LOOPML_ARTIFACTS": settings.artifacts,
    }

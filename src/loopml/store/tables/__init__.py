"""SQLAlchemy Core table definitions: the whole metadata graph in one folder.

One module per component. Every table is registered on the shared :data:`metadata`;
Alembic migrations in ``store/migrations`` create them (one migration branch per module).
"""

from __future__ import annotations

from loopml.store.tables import (
    auth,
    core,
    data,
    features,
    loop,
    models,
    monitoring,
    pipelines,
    tracking,
)
from loopml.store.tables._meta import metadata

__all__ = [
    "auth",
    "core",
    "data",
    "features",
    "loop",
    "metadata",
    "models",
    "monitoring",
    "pipelines",
    "tracking",
]

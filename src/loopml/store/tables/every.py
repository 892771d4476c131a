"""Every table module, imported: :data:`metadata` with the whole graph (Alembic, tests).

A new table module is imported here (one line) and gets its own migration branch.
"""

from __future__ import annotations

from loopml.store.tables import (  # noqa: F401 (imported to register their tables)
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

__all__ = ["metadata"]

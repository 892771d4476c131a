"""Alembic migrations of the metadata database, applied on first use and by ``loopml db upgrade``.

Each table module in ``store/tables`` has its own migration branch (branch label = module
name), so components add migrations without touching each other; ``upgrade`` applies
every head. Heads are read from the version files without importing Alembic, so a
process whose schema is current pays one small query on open.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.store.migrations.schema import (
        VERSION_TABLE as VERSION_TABLE,
        VERSIONS_DIR as VERSIONS_DIR,
        current as current,
        heads as heads,
        is_current as is_current,
        revisions as revisions,
        upgrade as upgrade,
    )
    from loopml.store.migrations.template import (
        is_new as is_new,
        keep as keep,
        seed as seed,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

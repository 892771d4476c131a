"""SQLAlchemy Core table definitions: the whole metadata graph in one folder.

One module per component. Every table is registered on the shared :data:`metadata`
(complete once :mod:`loopml.store.tables.every` has imported every module); Alembic
migrations in ``store/migrations`` create them (one migration branch per module).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.store.tables import (
        auth as auth,
        core as core,
        data as data,
        features as features,
        loop as loop,
        models as models,
        monitoring as monitoring,
        pipelines as pipelines,
        tracking as tracking,
    )
    from loopml.store.tables.every import metadata as metadata
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

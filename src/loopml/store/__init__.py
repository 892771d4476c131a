"""The foundation every component uses: metadata database + content-addressed blobs.

``Store`` knows no component logic. Components receive a ``Store`` and keep their logic
over its tables in their own package. The append-only event log (``store.events``) and
lineage writes (``store.lineage``) are separate modules that take a ``Store``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.store.blob_backends import BlobBackend as BlobBackend, open_backend as open_backend
    from loopml.store.blobs import BlobRef as BlobRef, BlobStore as BlobStore
    from loopml.store.core import Store as Store
    from loopml.store.db import Database as Database
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

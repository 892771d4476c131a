"""Byte storage under the content-addressed blob store: a tiny Protocol, one file per backend.

A backend maps '/'-separated keys to bytes. It knows nothing of digests: content
addressing, deduplication and verification live in :mod:`loopml.store.blobs`.
Backends are chosen by URL scheme through :mod:`loopml._registry` (kind ``blobs``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.store.blob_backends.base import (
        BlobBackend as BlobBackend,
        open_backend as open_backend,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

"""Online stores: latest feature values by entity key, behind one small Protocol.

A backend stores opaque values in tables (one per view version) and knows nothing about
features: packing, TTLs and key encoding live in :mod:`loopml.features.codec` and
:mod:`loopml.features.lookup`. Backends are picked by URL scheme through
``loopml._registry`` (kind ``online``): ``sqlite:///path.db`` and ``redis://host:port/db``.

Adding a backend is one file with one class, one registry line, and one entry in the
contract suite :mod:`loopml.testing.online_store`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.features.online.base import (
        OnlineStore as OnlineStore,
        open_online_store as open_online_store,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

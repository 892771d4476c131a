"""REST routers, one per component, all under ``/api/v1``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.server.routers.every import ROUTERS as ROUTERS
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

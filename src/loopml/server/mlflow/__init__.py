"""MLflow REST compatibility: what the ``mlflow`` client calls, served from loopml's store."""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.server.mlflow.every import ROUTERS as ROUTERS
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

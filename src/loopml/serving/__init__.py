"""Model serving: an inference server with hot swap, canary, shadow, adaptive batching and
a prediction log, plus batch scoring.

Public names are re-exported here; the pieces live in small modules (``routing`` and
``validation`` are pure, ``asgi``/``app`` are the HTTP shells over ``service``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.serving.batch import BatchResult as BatchResult, predict_batch as predict_batch
    from loopml.serving.errors import (
        MalformedRequest as MalformedRequest,
        ModelNotServed as ModelNotServed,
        PayloadTooLarge as PayloadTooLarge,
        PredictionFailed as PredictionFailed,
        RequestInvalid as RequestInvalid,
    )
    from loopml.serving.routing import (
        Target as Target,
        goes_to_canary as goes_to_canary,
        parse_target as parse_target,
    )
    from loopml.serving.server import ServeConfig as ServeConfig, build as build, run as run
    from loopml.serving.validation import Validator as Validator
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

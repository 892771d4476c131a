"""Model serving: an inference server with hot swap, canary, shadow, adaptive batching and
a prediction log, plus batch scoring.

Public names are re-exported here; the pieces live in small modules (``routing`` and
``validation`` are pure, ``asgi``/``app`` are the HTTP shells over ``service``).
"""

from __future__ import annotations

from loopml.serving.batch import BatchResult, predict_batch
from loopml.serving.errors import (
    MalformedRequest,
    ModelNotServed,
    PayloadTooLarge,
    PredictionFailed,
    RequestInvalid,
)
from loopml.serving.routing import Target, goes_to_canary, parse_target
from loopml.serving.server import ServeConfig, build, run
from loopml.serving.validation import Validator

__all__ = [
    "BatchResult",
    "MalformedRequest",
    "ModelNotServed",
    "PayloadTooLarge",
    "PredictionFailed",
    "RequestInvalid",
    "ServeConfig",
    "Target",
    "Validator",
    "build",
    "goes_to_canary",
    "parse_target",
    "predict_batch",
    "run",
]

"""``lm.serve``, ``lm.build_server``, ``lm.predict_batch``, ``lm.predictions``."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.serving.api import Serving


def _serving() -> Serving:
    """Return the default client's serving API."""
    return get_client().serving


serve = forward(Serving.serve, _serving)
build_server = forward(Serving.build, _serving, name="build_server")
predict_batch = forward(Serving.predict_batch, _serving)
predictions = forward(Serving.predictions, _serving)

"""``lm.lineage``, ``lm.tune``: provenance queries and tracked hyper-parameter search (issue 14)."""

from __future__ import annotations

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.lineage import Lineages
from loopml.training import Tuner


def _lineages() -> Lineages:
    """Return the default client's lineage API."""
    return get_client().lineages


def _tuner() -> Tuner:
    """Return the default client's hyper-parameter search API."""
    return get_client().tuner


lineage = forward(Lineages.get, _lineages, name="lineage")
tune = forward(Tuner.tune, _tuner)

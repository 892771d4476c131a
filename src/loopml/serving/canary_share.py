"""A canary share set on the running deployment (by the loop), followed like a hot swap.

A server started without ``--canary`` still serves a canary when the registry says so:
the registered model carries the tag ``loopml.canary.<deployment>`` with the value
``<alias>:<percent>`` (``challenger:30``). The hot-swap thread reads it at each poll;
when it appears, the alias' version is loaded and warmed up, then that share of requests
goes to it; when the percentage changes the route follows; when the tag is deleted (or
says 0) the canary route goes away. A server started with ``--canary`` keeps its fixed
route and ignores the tag.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

from loopml.errors import InvalidInput
from loopml.serving.routing import Target, parse_percent

TAG_PREFIX = "loopml.canary."


def tag_key(deployment: str) -> str:
    """The registered-model tag that holds the canary share of ``deployment``."""
    return f"{TAG_PREFIX}{deployment}"


def format_share(alias: str, percent: float) -> str:
    """The tag value for ``percent`` % of traffic to ``<model>@<alias>`` (pure).

    Raises:
        InvalidInput: ``percent`` is not within 0..100 or ``alias`` is empty.
    """
    if not alias or ":" in alias:
        raise InvalidInput(f"canary alias {alias!r} must be a non-empty name without ':'")
    if not 0.0 <= float(percent) <= 100.0:
        raise InvalidInput(f"canary percentage {percent} must be between 0 and 100")
    return f"{alias}:{float(percent):g}"


def parse_share(model: str, text: str | None) -> tuple[Target, float] | None:
    """``(target, percent)`` from a tag value, ``None`` when there is no canary (pure).

    Raises:
        InvalidInput: the value is not ``<alias>:<percent>`` with a percentage in 0..100.
    """
    if text is None or not text.strip():
        return None
    alias, sep, share = text.strip().rpartition(":")
    if not sep or not alias:
        raise InvalidInput(f"canary share {text!r} must look like 'challenger:30'")
    percent = parse_percent(share, text)
    return (Target(model, alias=alias), percent) if percent > 0 else None


@runtime_checkable
class CanaryShares(Protocol):
    """A model source that also knows the canary share set on a deployment."""

    def canary_share(self, model: str, deployment: str) -> tuple[Target, float] | None:
        """The canary target and its percentage now, or ``None`` (no canary)."""
        ...

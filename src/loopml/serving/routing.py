"""Routing decisions, pure: parse model targets and split traffic between routes.

A canary share is decided by a stable hash of a request key (the same key always lands
on the same side, and raising the percentage only moves keys towards the canary) or,
for requests without a key, at random.
"""

from __future__ import annotations

import hashlib
import random
import re
from dataclasses import dataclass
from typing import Literal

from loopml.errors import InvalidInput

_NAME = r"[A-Za-z0-9][A-Za-z0-9_.\-]*"
_TARGET = re.compile(
    rf"^(?:models:/)?(?P<name>{_NAME})(?:(?:@(?P<alias>{_NAME}))|(?:/(?P<version>\d+)))?$"
)
_SCALE = float(1 << 64)

CanaryMode = Literal["hash", "random"]


@dataclass(frozen=True, slots=True)
class Target:
    """A model to serve: ``churn@champion`` (follows the alias), ``churn/3`` or ``churn``.

    A bare name means the ``champion`` alias.
    """

    name: str
    alias: str | None = None
    version: int | None = None

    @property
    def uri(self) -> str:
        """The ``models:/`` URI that loads this target."""
        if self.version is not None:
            return f"models:/{self.name}/{self.version}"
        return f"models:/{self.name}@{self.alias}"

    @property
    def follows_alias(self) -> bool:
        """Whether the served version changes when the alias moves."""
        return self.version is None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}/{self.version}"
        return f"{self.name}@{self.alias}"


def parse_target(text: str) -> Target:
    """Parse ``name``, ``name@alias``, ``name/version`` or a ``models:/`` URI.

    Raises:
        InvalidInput: the text is none of those.

    Example:
        >>> parse_target("churn@champion")
        Target(name='churn', alias='champion', version=None)
    """
    match = _TARGET.match(text.strip())
    if match is None:
        raise InvalidInput(
            f"model target {text!r} is not 'name', 'name@alias', 'name/version' or "
            "'models:/name@alias'; for example churn@champion"
        )
    version = match.group("version")
    if version is not None:
        return Target(match.group("name"), version=int(version))
    return Target(match.group("name"), alias=match.group("alias") or "champion")


def parse_split(text: str) -> tuple[Target, float]:
    """Parse a canary spec ``churn@challenger:10`` into the target and its percentage.

    Raises:
        InvalidInput: no percentage, or one outside 0..100.
    """
    target_text, sep, share = text.rpartition(":")
    if not sep or not target_text:
        raise InvalidInput(
            f"canary {text!r} needs a percentage after a colon, such as churn@challenger:10"
        )
    return parse_target(target_text), parse_percent(share, text)


def parse_percent(share: str, text: str) -> float:
    """Read the percentage ``share`` of the canary spec ``text`` (0 to 100).

    Raises:
        InvalidInput: not a number, or outside 0..100.
    """
    try:
        percent = float(share)
    except ValueError:
        raise InvalidInput(f"canary percentage {share!r} in {text!r} is not a number") from None
    if not 0.0 <= percent <= 100.0:
        raise InvalidInput(f"canary percentage {percent} in {text!r} must be between 0 and 100")
    return percent


def key_share(key: str, salt: str = "") -> float:
    """Map a request key to a stable number in ``[0, 1)`` (blake2b of salt and key)."""
    digest = hashlib.blake2b(f"{salt}\x00{key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / _SCALE


def goes_to_canary(
    percent: float,
    key: str | None,
    *,
    mode: CanaryMode = "hash",
    salt: str = "",
    rng: random.Random | None = None,
) -> bool:
    """Decide whether one request goes to the canary.

    Args:
        percent: share of traffic for the canary, 0..100.
        key: the request key (a customer id...); ``None`` falls back to a random draw.
        mode: ``"hash"`` uses the key when there is one; ``"random"`` always draws.
        salt: mixed into the hash so that deployments split independently.
        rng: random source (for reproducible tests).
    """
    if percent <= 0.0:
        return False
    if percent >= 100.0:
        return True
    if mode == "hash" and key is not None:
        return key_share(key, salt) * 100.0 < percent
    return (rng or random).random() * 100.0 < percent

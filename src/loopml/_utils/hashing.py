"""Hashing helpers (sha256 everywhere)."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable


def sha256_bytes(data: bytes) -> str:
    """Return the hex sha256 digest of ``data``."""
    return hashlib.sha256(data).hexdigest()


def sha256_chunks(chunks: Iterable[bytes]) -> str:
    """Return the hex sha256 digest of the concatenation of ``chunks``."""
    digest = hashlib.sha256()
    for chunk in chunks:
        digest.update(chunk)
    return digest.hexdigest()


def canonical_json(value: object) -> bytes:
    """Serialise ``value`` to deterministic JSON bytes (sorted keys, no spaces)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str).encode()


def digest_json(value: object) -> str:
    """Return the sha256 digest of the canonical JSON form of ``value``."""
    return sha256_bytes(canonical_json(value))

"""Password hashing (scrypt) and high-entropy tokens (sha256 digests); pure, stdlib only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from functools import cache

# scrypt cost: n=2**14, r=8 takes about 30 ms and 16 MiB: slow for guessing, fine for logins.
_N, _R, _P, _DKLEN = 2**14, 8, 1, 32
_SCHEME = "scrypt"
TOKEN_PREFIX = "lml_"


def hash_password(password: str) -> str:
    """Return a salted scrypt hash of ``password`` in a self-describing string."""
    salt = secrets.token_bytes(16)
    key = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=_DKLEN)
    return "$".join(
        [_SCHEME, str(_N), str(_R), str(_P), _b64(salt), _b64(key)],
    )


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the ``stored`` hash (constant time; ``None`` never matches)."""
    if not stored:
        return False
    try:
        scheme, n, r, p, salt, key = stored.split("$")
        if scheme != _SCHEME:
            return False
        expected = base64.b64decode(key)
        found = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except ValueError:
        return False
    return hmac.compare_digest(found, expected)


def new_secret() -> str:
    """Return a new API token (256 random bits, with a recognisable prefix)."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """Return the sha256 hex digest under which a token or session id is stored."""
    return hashlib.sha256(secret.encode()).hexdigest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@cache
def dummy_hash() -> str:
    """A hash to verify against when a user does not exist, so timing does not tell."""
    return hash_password(secrets.token_urlsafe(16))

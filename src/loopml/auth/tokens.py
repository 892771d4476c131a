"""API tokens and UI sessions: stored as sha256 digests of random secrets."""

from __future__ import annotations

import secrets as _random
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, insert, select, update

from loopml._utils.clock import now_ms
from loopml._utils.ids import new_id
from loopml.auth import secrets, users
from loopml.auth.entities import NewToken, Token
from loopml.auth.errors import InvalidCredentials, TokenNotFound
from loopml.store.tables import auth as t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection


def create_token(
    conn: Connection,
    user: str,
    name: str,
    roles: Sequence[str] | None,
    expires_at: int | None,
) -> NewToken:
    """Create a token for ``user``; ``roles`` narrows it to a subset of the user's roles."""
    owner = users.get_user(conn, user)
    if roles is not None:
        extra = sorted(set(roles) - set(owner.roles))
        if extra:
            raise InvalidCredentials(
                f"user {user!r} does not hold role(s) {', '.join(extra)}; a token can only "
                f"narrow its user's roles ({', '.join(owner.roles) or 'none'})"
            )
    secret = secrets.new_secret()
    row = {
        "id": new_id()[:16],
        "digest": secrets.digest(secret),
        "user": user,
        "name": name,
        "roles": None if roles is None else sorted(set(roles)),
        "created_at": now_ms(),
        "expires_at": expires_at,
        "last_used_at": None,
        "revoked_at": None,
    }
    conn.execute(insert(t.tokens), row)
    return NewToken(_token(row), secret)


def list_tokens(conn: Connection, user: str | None = None) -> list[Token]:
    """Return tokens (of one user, or of all), newest first."""
    stmt = select(t.tokens).order_by(t.tokens.c.created_at.desc())
    if user is not None:
        stmt = stmt.where(t.tokens.c.user == user)
    return [_token(r._mapping) for r in conn.execute(stmt)]


def revoke_token(conn: Connection, token_id: str) -> Token:
    """Revoke a token by id (idempotent) and return its record."""
    row = conn.execute(select(t.tokens).where(t.tokens.c.id == token_id)).first()
    if row is None:
        raise TokenNotFound(f"no token {token_id!r}; list tokens with `loopml tokens list`")
    if row.revoked_at is None:
        stmt = update(t.tokens).where(t.tokens.c.id == token_id).values(revoked_at=now_ms())
        conn.execute(stmt)
    found = conn.execute(select(t.tokens).where(t.tokens.c.id == token_id)).one()
    return _token(found._mapping)


def find_token(conn: Connection, secret: str, now: int) -> Token | None:
    """Return the active, unexpired token whose secret is ``secret`` (or ``None``)."""
    row = conn.execute(select(t.tokens).where(t.tokens.c.digest == secrets.digest(secret))).first()
    if row is None or row.revoked_at is not None:
        return None
    if row.expires_at is not None and row.expires_at <= now:
        return None
    return _token(row._mapping)


def touch_token(conn: Connection, token_id: str, now: int) -> None:
    """Record that a token was used."""
    conn.execute(update(t.tokens).where(t.tokens.c.id == token_id).values(last_used_at=now))


def create_session(conn: Connection, user: str, ttl_ms: int) -> tuple[str, str]:
    """Start a UI session; return the session secret (for the cookie) and its CSRF token."""
    secret = _random.token_urlsafe(32)
    csrf = _random.token_urlsafe(32)
    stamp = now_ms()
    conn.execute(
        insert(t.sessions),
        {
            "digest": secrets.digest(secret),
            "user": user,
            "csrf": csrf,
            "created_at": stamp,
            "expires_at": stamp + ttl_ms,
        },
    )
    conn.execute(delete(t.sessions).where(t.sessions.c.expires_at <= stamp))
    return secret, csrf


def find_session(conn: Connection, secret: str, now: int) -> tuple[str, str] | None:
    """Return ``(user, csrf)`` of a live session, or ``None``."""
    stmt = select(t.sessions).where(t.sessions.c.digest == secrets.digest(secret))
    row = conn.execute(stmt).first()
    if row is None or row.expires_at <= now:
        return None
    return row.user, row.csrf


def end_session(conn: Connection, secret: str) -> None:
    """End a UI session (log out)."""
    conn.execute(delete(t.sessions).where(t.sessions.c.digest == secrets.digest(secret)))


def _token(row: Any) -> Token:
    roles = row["roles"]
    return Token(
        id=row["id"],
        user=row["user"],
        name=row["name"],
        roles=None if roles is None else tuple(roles),
        created_at=row["created_at"],
        expires_at=row["expires_at"],
        last_used_at=row["last_used_at"],
        revoked_at=row["revoked_at"],
    )


def end_sessions_of(conn: Connection, user: str) -> None:
    """End every UI session of ``user``."""
    conn.execute(delete(t.sessions).where(t.sessions.c.user == user))

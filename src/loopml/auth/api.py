"""``Auth``: users, roles, API tokens, UI sessions and the audit log of one store."""

from __future__ import annotations

import datetime as dt
import getpass
import threading
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import now_ms, parse_duration, to_ms
from loopml.auth import audit, permissions as perms, secrets, tokens, users
from loopml.auth.entities import AuditEntry, NewToken, Principal, Role, Token, User
from loopml.auth.errors import InvalidCredentials, Unauthenticated

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from contextlib import AbstractContextManager

    from sqlalchemy import Connection

    from loopml.store import Store

SESSION_TTL = dt.timedelta(hours=12)
# "last used" is kept to the minute: at most one write per token per minute.
_TOUCH_EVERY_MS = 60_000
_LONGEST_LIFETIME_S = 36_500 * 86_400
_BAD_LOGIN = "wrong user name or password (or the user is disabled)"


class Auth:
    """Users, roles, tokens, sessions and the audit log (see docs/auth.md).

    Args:
        store: the store whose metadata database holds the auth tables.

    Example:
        >>> import loopml as lm
        >>> auth = lm.Client(db_url="sqlite://", artifacts="memory://auth-doc").auth
        >>> auth.add_user("ada", password="correct horse", roles=["data_scientist"]).roles
        ('data_scientist',)
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._seeded = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ plumbing
    def _write(self) -> AbstractContextManager[Connection]:
        self._seed()
        return self.store.db.write()

    def _read(self) -> AbstractContextManager[Connection]:
        self._seed()
        return self.store.db.read()

    def _seed(self) -> None:
        if self._seeded:
            return
        with self._lock:
            if not self._seeded:
                with self.store.db.write() as conn:
                    users.seed_roles(conn, self.store.db)
                self._seeded = True

    # ------------------------------------------------------------------ users
    def is_enabled(self) -> bool:
        """Whether auth is on: at least one enabled user exists."""
        with self._read() as conn:
            return users.count_users(conn) > 0

    def add_user(
        self,
        name: str,
        *,
        password: str | None = None,
        roles: Sequence[str] = (),
        display_name: str | None = None,
    ) -> User:
        """Create a user (a password lets them log in to the UI; tokens work without one).

        Raises:
            UserExists: the name is taken.
            RoleNotFound: a role does not exist.
            InvalidCredentials: the name or the password is malformed.
        """
        hashed = None if password is None else secrets.hash_password(users.check_password(password))
        with self._write() as conn:
            users.add_user(conn, name, hashed, list(roles), display_name)
            return users.get_user(conn, name)

    def get_user(self, name: str) -> User:
        """Return one user."""
        with self._read() as conn:
            return users.get_user(conn, name)

    def list_users(self) -> list[User]:
        """Return every user, sorted by name."""
        with self._read() as conn:
            return users.list_users(conn)

    def set_roles(self, name: str, roles: Sequence[str]) -> User:
        """Replace the roles of a user."""
        with self._write() as conn:
            users.set_roles(conn, name, list(roles))
            return users.get_user(conn, name)

    def set_password(self, name: str, password: str) -> None:
        """Set (or replace) a user's password; their UI sessions end."""
        hashed = secrets.hash_password(users.check_password(password))
        with self._write() as conn:
            users.update_user(conn, name, password_hash=hashed)
            tokens.end_sessions_of(conn, name)

    def set_disabled(self, name: str, disabled: bool) -> User:
        """Disable (or enable) a user: a disabled user's tokens and sessions stop working."""
        with self._write() as conn:
            users.update_user(conn, name, disabled=disabled)
            if disabled:
                tokens.end_sessions_of(conn, name)
            return users.get_user(conn, name)

    def delete_user(self, name: str) -> None:
        """Delete a user with their tokens and sessions."""
        with self._write() as conn:
            users.delete_user(conn, name)

    # ------------------------------------------------------------------ roles
    def list_roles(self) -> list[Role]:
        """Return every role (built-in and custom) with the permissions it grants."""
        with self._read() as conn:
            return users.list_roles(conn)

    def get_role(self, name: str) -> Role:
        """Return one role."""
        with self._read() as conn:
            return users.get_role(conn, name)

    def save_role(self, name: str, grants: Sequence[str], description: str = "") -> Role:
        """Create or replace a custom role granting permission patterns (``runs:*``)."""
        with self._write() as conn:
            users.save_role(conn, self.store.db, name, list(grants), description)
            return users.get_role(conn, name)

    def delete_role(self, name: str) -> None:
        """Delete a custom role (users holding it lose it)."""
        with self._write() as conn:
            users.delete_role(conn, name)

    # ------------------------------------------------------------------ tokens
    def create_token(
        self,
        user: str,
        name: str = "api",
        *,
        roles: Sequence[str] | None = None,
        expires_in: str | dt.timedelta | None = None,
    ) -> NewToken:
        """Create an API token; the secret is returned once and only its digest is stored.

        Args:
            user: the token's owner.
            name: a label (``"ci"``, ``"laptop"``).
            roles: narrow the token to some of the user's roles (default: all of them).
            expires_in: lifetime such as ``"90d"`` (default: until revoked).
        """
        expires = None if expires_in is None else now_ms() + _ms(expires_in)
        with self._write() as conn:
            return tokens.create_token(
                conn, user, name, None if roles is None else list(roles), expires
            )

    def list_tokens(self, user: str | None = None) -> list[Token]:
        """Return tokens (of one user or of all), newest first."""
        with self._read() as conn:
            return tokens.list_tokens(conn, user)

    def revoke_token(self, token_id: str) -> Token:
        """Revoke a token by id."""
        with self._write() as conn:
            return tokens.revoke_token(conn, token_id)

    def authenticate_token(self, secret: str) -> Principal:
        """Return the principal a Bearer token acts as.

        Raises:
            Unauthenticated: unknown, revoked or expired token, or a disabled user.
        """
        now = now_ms()
        with self._read() as conn:
            token = tokens.find_token(conn, secret, now)
            owner = None if token is None else users.get_user(conn, token.user)
            if token is None or owner is None or owner.disabled:
                raise Unauthenticated(
                    "the API token is unknown, revoked or expired; create one with "
                    "`loopml tokens create USER` and send it as 'Authorization: Bearer <token>'"
                )
            roles = owner.roles if token.roles is None else tuple(token.roles)
            allowed = tuple(r for r in roles if r in owner.roles)
            granted = users.permissions_of(conn, allowed)
        if token.last_used_at is None or now - token.last_used_at > _TOUCH_EVERY_MS:
            with self.store.db.write() as conn:
                tokens.touch_token(conn, token.id, now)
        return Principal(owner.name, "token", allowed, granted, token_id=token.id)

    # ------------------------------------------------------------------ sessions
    def login(self, name: str, password: str) -> tuple[str, str]:
        """Check a password and start a UI session; return ``(session secret, csrf token)``.

        Raises:
            Unauthenticated: wrong name or password, or the user is disabled.
        """
        with self._read() as conn:
            stored = users.password_hash(conn, name)
        ok = secrets.verify_password(password, stored or secrets.dummy_hash()) and bool(stored)
        with self._write() as conn:
            if not ok or users.get_user(conn, name).disabled:
                raise Unauthenticated(_BAD_LOGIN)
            return tokens.create_session(conn, name, _ms(SESSION_TTL))

    def session_principal(self, secret: str) -> Principal | None:
        """Return the principal of a live UI session (``None`` if it ended or expired)."""
        with self._read() as conn:
            found = tokens.find_session(conn, secret, now_ms())
            if found is None:
                return None
            user = users.get_user(conn, found[0])
            if user.disabled:
                return None
            granted = users.permissions_of(conn, user.roles)
        return Principal(user.name, "session", user.roles, granted, csrf=found[1])

    def logout(self, secret: str) -> None:
        """End a UI session."""
        with self._write() as conn:
            tokens.end_session(conn, secret)

    # ------------------------------------------------------------------ audit
    def record(self, entries: Sequence[Mapping[str, Any]]) -> None:
        """Append audit entries (see :func:`loopml.auth.audit.append` for the keys)."""
        with self.store.db.write() as conn:
            audit.append(conn, entries)

    def audit_log(
        self,
        *,
        principal: str | None = None,
        action: str | None = None,
        since: dt.datetime | str | None = None,
        until: dt.datetime | None = None,
        failed_only: bool = False,
        limit: int = 100,
        before_id: int | None = None,
    ) -> list[AuditEntry]:
        """Return audit entries, newest first.

        Args:
            principal: only this user (or ``local``, ``anonymous``).
            action: only this permission; ``*`` is a wildcard (``models:*``).
            since: a datetime or a duration back from now (``"24h"``).
            until: only entries before this instant.
            failed_only: only refused or failed calls (status 400 and above).
            limit: page size (at most 10,000).
            before_id: the ``id`` of the last entry of the previous page.
        """
        with self.store.db.read() as conn:
            return audit.query(
                conn,
                principal=principal,
                action=action,
                since=_since(since),
                until=None if until is None else to_ms(until),
                failed_only=failed_only,
                limit=limit,
                before_id=before_id,
            )


def local_principal() -> Principal:
    """The single local user: every permission, no login (only on a loopback address)."""
    return Principal(_os_user(), "local", ("admin",), frozenset(perms.PERMISSIONS))


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "local"


def _ms(value: str | dt.timedelta) -> int:
    """Read a token lifetime; refuse what is not a positive duration of at most 100 years."""
    try:
        seconds = parse_duration(value).total_seconds()
    except (ValueError, OverflowError) as exc:
        raise InvalidCredentials(
            f"cannot read token lifetime {value!r}: write a number and a unit such as '90d'"
        ) from exc
    if not 0 < seconds <= _LONGEST_LIFETIME_S:
        raise InvalidCredentials(
            f"token lifetime {value!r} must be positive and at most 100 years (36500d)"
        )
    return int(seconds * 1000)


def _since(value: dt.datetime | str | None) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        return now_ms() - _ms(value)
    return to_ms(value)

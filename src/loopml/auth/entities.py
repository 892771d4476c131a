"""Auth records returned by the API: frozen dataclasses, never ORM rows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Via = Literal["token", "session", "local", "anonymous"]


@dataclass(frozen=True, slots=True)
class User:
    """A user: name, roles, and whether they can log in."""

    name: str
    roles: tuple[str, ...]
    display_name: str | None
    disabled: bool
    has_password: bool
    created_at: int
    updated_at: int


@dataclass(frozen=True, slots=True)
class Role:
    """A role: the permission patterns it grants and the concrete permissions they expand to."""

    name: str
    description: str
    grants: tuple[str, ...]
    permissions: frozenset[str]
    builtin: bool


@dataclass(frozen=True, slots=True)
class Token:
    """An API token's record (the secret itself is shown once, at creation, never stored)."""

    id: str
    user: str
    name: str
    roles: tuple[str, ...] | None
    created_at: int
    expires_at: int | None
    last_used_at: int | None
    revoked_at: int | None

    @property
    def is_active(self) -> bool:
        """Whether the token is not revoked (expiry is checked against the clock on use)."""
        return self.revoked_at is None


@dataclass(frozen=True, slots=True)
class NewToken:
    """A freshly created token: its record and the secret to hand to the user once."""

    token: Token
    secret: str


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is making a request, and what they may do."""

    name: str
    via: Via
    roles: tuple[str, ...] = ()
    permissions: frozenset[str] = field(default_factory=frozenset)
    token_id: str | None = None
    csrf: str | None = None

    def allows(self, permission: str) -> bool:
        """Whether this principal holds ``permission``."""
        return permission in self.permissions


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audited mutation: who, what, when, from where, and how it ended."""

    id: int
    at: int
    principal: str
    via: str
    action: str
    method: str
    path: str
    status: int
    client: str | None
    detail: dict[str, object] | None

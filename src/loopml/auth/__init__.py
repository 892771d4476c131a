"""Users, roles, API tokens, UI sessions and the audit log (the paper's P5, collaboration).

The platform server (``loopml up``) enforces these; ``loopml users|tokens|roles|audit``
manage them. See docs/auth.md.
"""

from __future__ import annotations

from loopml.auth.api import Auth, local_principal
from loopml.auth.entities import AuditEntry, NewToken, Principal, Role, Token, User
from loopml.auth.errors import (
    Forbidden,
    InvalidCredentials,
    RoleNotFound,
    TokenNotFound,
    Unauthenticated,
    UserExists,
    UserNotFound,
)
from loopml.auth.permissions import BUILTIN_ROLES, PERMISSIONS, RESOURCES

__all__ = [
    "BUILTIN_ROLES",
    "PERMISSIONS",
    "RESOURCES",
    "AuditEntry",
    "Auth",
    "Forbidden",
    "InvalidCredentials",
    "NewToken",
    "Principal",
    "Role",
    "RoleNotFound",
    "Token",
    "TokenNotFound",
    "Unauthenticated",
    "User",
    "UserExists",
    "UserNotFound",
    "local_principal",
]

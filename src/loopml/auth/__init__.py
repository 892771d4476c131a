"""Users, roles, API tokens, UI sessions and the audit log (the paper's P5, collaboration).

The platform server (``loopml up``) enforces these; ``loopml users|tokens|roles|audit``
manage them. See docs/auth.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.auth.api import Auth as Auth, local_principal as local_principal
    from loopml.auth.entities import (
        AuditEntry as AuditEntry,
        NewToken as NewToken,
        Principal as Principal,
        Role as Role,
        Token as Token,
        User as User,
    )
    from loopml.auth.errors import (
        Forbidden as Forbidden,
        InvalidCredentials as InvalidCredentials,
        RoleNotFound as RoleNotFound,
        TokenNotFound as TokenNotFound,
        Unauthenticated as Unauthenticated,
        UserExists as UserExists,
        UserNotFound as UserNotFound,
    )
    from loopml.auth.permissions import (
        BUILTIN_ROLES as BUILTIN_ROLES,
        PERMISSIONS as PERMISSIONS,
        RESOURCES as RESOURCES,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

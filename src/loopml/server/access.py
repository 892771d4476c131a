"""Permissions: the one vocabulary every route declares, and the hook that enforces it.

Every route of the platform server (REST and MLflow-compatible) depends on
``requires("<resource>:<verb>")``. The dependency records the permission on
``request.state.permission`` and, when an authorizer is installed on the app
(``app.state.authorizer``, a callable ``(request, permission) -> principal``), calls it:
the authorizer returns who is calling or raises (401/403). Without an authorizer every
call is allowed, which is what a single local user on 127.0.0.1 wants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import Request

from loopml.auth import permissions as vocabulary

#: the vocabulary is loopml.auth's (resources x verbs, plus promote and deploy)
RESOURCES: tuple[str, ...] = vocabulary.RESOURCES
VERBS: tuple[str, ...] = vocabulary.VERBS
SPECIAL: tuple[str, ...] = vocabulary.SPECIAL

#: every permission a route may require, sorted
PERMISSIONS: tuple[str, ...] = tuple(sorted(vocabulary.PERMISSIONS))

Authorizer = Callable[[Request, str], Any]


def requires(permission: str) -> Callable[[Request], Any]:
    """Return a FastAPI dependency that checks ``permission`` for the calling principal.

    Args:
        permission: one of :data:`PERMISSIONS` (``"runs:write"``, ``"models:promote"``...).

    Returns:
        A dependency returning the principal the authorizer gave (``None`` without one).

    Raises:
        ValueError: ``permission`` is not in the vocabulary (a programming error).

    Example:
        >>> from fastapi import Depends
        >>> dependency = Depends(requires("runs:read"))
    """
    if permission not in PERMISSIONS:
        raise ValueError(f"unknown permission {permission!r}; known: {', '.join(PERMISSIONS)}")

    def check(request: Request) -> Any:
        request.state.permission = permission
        authorizer: Authorizer | None = getattr(request.app.state, "authorizer", None)
        if authorizer is None:
            return None
        principal = authorizer(request, permission)
        request.state.principal = principal
        return principal

    check.__name__ = f"requires_{permission.replace(':', '_')}"
    return check


def principal_name(request: Request) -> str | None:
    """Return the name of who is calling (for ``by`` fields), when an authorizer said so."""
    principal = getattr(request.state, "principal", None)
    if principal is None:
        return None
    if isinstance(principal, str):
        return principal
    name = getattr(principal, "name", None) or getattr(principal, "username", None)
    return None if name is None else str(name)

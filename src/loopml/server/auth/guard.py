"""``permit(permission)``: the dependency the auth and UI routes use (same contract as the
server's ``requires``: store the permission on ``request.state``, call the authorizer)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.requests import Request  # noqa: TC002 - FastAPI reads the annotation at runtime

from loopml.auth import Principal, local_principal

if TYPE_CHECKING:
    from collections.abc import Callable


def permit(permission: str) -> Callable[[Request], Principal]:
    """Return a FastAPI dependency that checks ``permission`` and returns the principal."""

    def dependency(request: Request) -> Principal:
        request.state.permission = permission
        authorizer = getattr(request.app.state, "authorizer", None)
        if authorizer is None:
            return local_principal()
        principal: Principal = authorizer(request, permission)
        return principal

    dependency.__name__ = f"permit_{permission.replace(':', '_')}"
    return dependency

"""REST routes for users, roles, API tokens and the audit log (``/api/v1/...``)."""

from __future__ import annotations

import datetime as dt  # noqa: TC003 - FastAPI reads the annotation at runtime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, Field

from loopml.auth import AuditEntry, Auth, Principal, Role, Token, User
from loopml.server.auth.guard import permit

API_PREFIX = "/api/v1"
router = APIRouter(prefix=API_PREFIX, tags=["auth"])


class ErrorBody(BaseModel):
    """An error: its class name and a message saying what to do."""

    error: str
    message: str


_ERRORS: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "No valid credentials."},
    403: {"model": ErrorBody, "description": "The caller's roles lack the permission."},
    404: {"model": ErrorBody, "description": "No such user, role or token."},
    409: {"model": ErrorBody, "description": "The user exists."},
    422: {"model": ErrorBody, "description": "Malformed input."},
}


class UserOut(BaseModel):
    """A user (never the password hash)."""

    name: str
    roles: list[str]
    display_name: str | None
    disabled: bool
    has_password: bool
    created_at: int
    updated_at: int


class UserIn(BaseModel):
    """A user to create."""

    name: str = Field(min_length=1, max_length=128)
    password: str | None = Field(default=None, max_length=1024)
    roles: list[str] = Field(default_factory=list, max_length=64)
    display_name: str | None = Field(default=None, max_length=256)


class RolesIn(BaseModel):
    """The complete new role list of a user."""

    roles: list[str] = Field(max_length=64)


class RoleOut(BaseModel):
    """A role: its permission patterns and what they expand to."""

    name: str
    description: str
    grants: list[str]
    permissions: list[str]
    builtin: bool


class TokenIn(BaseModel):
    """A token to create for a user."""

    name: str = Field(default="api", min_length=1, max_length=256)
    roles: list[str] | None = Field(default=None, max_length=64)
    expires_in: str | None = Field(default=None, max_length=32, examples=["90d"])


class TokenOut(BaseModel):
    """A token's record; ``secret`` is set only in the answer that creates it."""

    id: str
    user: str
    name: str
    roles: list[str] | None
    created_at: int
    expires_at: int | None
    last_used_at: int | None
    revoked_at: int | None
    secret: str | None = None


class WhoAmI(BaseModel):
    """The caller: name, how they authenticated, roles and permissions."""

    name: str
    via: str
    roles: list[str]
    permissions: list[str]


class AuditOut(BaseModel):
    """One audited mutation."""

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


def _auth(request: Request) -> Auth:
    found: Auth = request.app.state.authorizer.auth
    return found


AuthDep = Annotated[Auth, Depends(_auth)]


@router.get("/whoami", responses=_ERRORS)
def whoami(principal: Annotated[Principal, Depends(permit("experiments:read"))]) -> WhoAmI:
    """Return who the caller is and what they may do."""
    return WhoAmI(
        name=principal.name,
        via=principal.via,
        roles=list(principal.roles),
        permissions=sorted(principal.permissions),
    )


@router.get("/users", dependencies=[Depends(permit("users:read"))], responses=_ERRORS)
def list_users(auth: AuthDep) -> list[UserOut]:
    """List users with their roles."""
    return [_user(u) for u in auth.list_users()]


@router.post(
    "/users", status_code=201, dependencies=[Depends(permit("users:write"))], responses=_ERRORS
)
def add_user(body: UserIn, auth: AuthDep) -> UserOut:
    """Create a user."""
    return _user(
        auth.add_user(
            body.name, password=body.password, roles=body.roles, display_name=body.display_name
        )
    )


@router.get("/users/{name}", dependencies=[Depends(permit("users:read"))], responses=_ERRORS)
def get_user(name: str, auth: AuthDep) -> UserOut:
    """Return one user."""
    return _user(auth.get_user(name))


@router.put("/users/{name}/roles", dependencies=[Depends(permit("users:write"))], responses=_ERRORS)
def set_roles(name: str, body: RolesIn, auth: AuthDep) -> UserOut:
    """Replace a user's roles."""
    return _user(auth.set_roles(name, body.roles))


@router.delete(
    "/users/{name}",
    status_code=204,
    dependencies=[Depends(permit("users:delete"))],
    responses=_ERRORS,
)
def delete_user(name: str, auth: AuthDep) -> None:
    """Delete a user with their tokens and sessions."""
    auth.delete_user(name)


@router.get("/roles", dependencies=[Depends(permit("users:read"))], responses=_ERRORS)
def list_roles(auth: AuthDep) -> list[RoleOut]:
    """List roles and the permissions they grant."""
    return [_role(r) for r in auth.list_roles()]


@router.get("/users/{name}/tokens", dependencies=[Depends(permit("users:read"))], responses=_ERRORS)
def list_tokens(name: str, auth: AuthDep) -> list[TokenOut]:
    """List a user's tokens (never their secrets)."""
    auth.get_user(name)
    return [_token(t) for t in auth.list_tokens(name)]


@router.post(
    "/users/{name}/tokens",
    status_code=201,
    dependencies=[Depends(permit("users:write"))],
    responses=_ERRORS,
)
def create_token(name: str, body: TokenIn, auth: AuthDep) -> TokenOut:
    """Create an API token for a user; the answer holds the secret, shown only this once."""
    created = auth.create_token(name, body.name, roles=body.roles, expires_in=body.expires_in)
    return _token(created.token, created.secret)


@router.delete(
    "/tokens/{token_id}", dependencies=[Depends(permit("users:write"))], responses=_ERRORS
)
def revoke_token(token_id: str, auth: AuthDep) -> TokenOut:
    """Revoke an API token."""
    return _token(auth.revoke_token(token_id))


@router.get("/audit", dependencies=[Depends(permit("audit:read"))], responses=_ERRORS)
def audit_log(
    auth: AuthDep,
    principal: str | None = None,
    action: str | None = None,
    since: Annotated[dt.datetime | None, Query()] = None,
    failed_only: bool = False,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 100,
    before_id: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
) -> list[AuditOut]:
    """Query the audit log, newest first."""
    entries = auth.audit_log(
        principal=principal,
        action=action,
        since=since,
        failed_only=failed_only,
        limit=limit,
        before_id=before_id,
    )
    return [_audit(e) for e in entries]


def _user(user: User) -> UserOut:
    return UserOut(
        name=user.name,
        roles=list(user.roles),
        display_name=user.display_name,
        disabled=user.disabled,
        has_password=user.has_password,
        created_at=user.created_at,
        updated_at=user.updated_at,
    )


def _role(role: Role) -> RoleOut:
    return RoleOut(
        name=role.name,
        description=role.description,
        grants=list(role.grants),
        permissions=sorted(role.permissions),
        builtin=role.builtin,
    )


def _token(token: Token, secret: str | None = None) -> TokenOut:
    return TokenOut(
        id=token.id,
        user=token.user,
        name=token.name,
        roles=None if token.roles is None else list(token.roles),
        created_at=token.created_at,
        expires_at=token.expires_at,
        last_used_at=token.last_used_at,
        revoked_at=token.revoked_at,
        secret=secret,
    )


def _audit(entry: AuditEntry) -> AuditOut:
    return AuditOut(
        id=entry.id,
        at=entry.at,
        principal=entry.principal,
        via=entry.via,
        action=entry.action,
        method=entry.method,
        path=entry.path,
        status=entry.status,
        client=entry.client,
        detail=entry.detail,
    )

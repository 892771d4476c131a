"""Users and roles in the metadata database (SQLAlchemy Core over ``tables.auth``)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, insert, select, update

from loopml._utils.clock import now_ms
from loopml.auth import permissions as perms
from loopml.auth.entities import Role, User
from loopml.auth.errors import InvalidCredentials, RoleNotFound, UserExists, UserNotFound
from loopml.errors import InvalidInput
from loopml.store.tables import auth as t

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import Connection

    from loopml.store import Database

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$")
MIN_PASSWORD = 8


def check_name(name: str, what: str = "user") -> str:
    """Return ``name`` if it is a valid user or role name, else raise."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidCredentials(
            f"{what} name {name!r} is not valid; use 1 to 128 letters, digits, '_', '.', '@' "
            "or '-', starting with a letter or digit"
        )
    return name


def check_password(password: str) -> str:
    """Return ``password`` if it is long enough, else raise."""
    if len(password) < MIN_PASSWORD:
        raise InvalidCredentials(
            f"the password has {len(password)} characters; use at least {MIN_PASSWORD}"
        )
    return password


def seed_roles(conn: Connection, db: Database) -> None:
    """Insert the built-in roles that are missing (never overwrites an edited role)."""
    stamp = now_ms()
    rows = [
        {
            "name": r.name,
            "description": r.description,
            "permissions": list(r.grants),
            "builtin": True,
            "created_at": stamp,
            "updated_at": stamp,
        }
        for r in perms.BUILTIN_ROLES
    ]
    conn.execute(db.upsert(t.roles, ["name"], []), rows)


def role_from_row(row: Any) -> Role:
    """Build a :class:`Role` from a row of ``auth_roles``."""
    grants = tuple(row.permissions)
    return Role(row.name, row.description, grants, perms.expand(grants), bool(row.builtin))


def list_roles(conn: Connection) -> list[Role]:
    """Return every role, sorted by name."""
    rows = conn.execute(select(t.roles).order_by(t.roles.c.name)).all()
    return [role_from_row(r) for r in rows]


def get_role(conn: Connection, name: str) -> Role:
    """Return one role, or raise :class:`RoleNotFound` naming the known ones."""
    row = conn.execute(select(t.roles).where(t.roles.c.name == name)).first()
    if row is None:
        known = ", ".join(r.name for r in list_roles(conn))
        raise RoleNotFound(
            f"no role {name!r}; roles: {known}. Create one with `loopml roles create`."
        )
    return role_from_row(row)


def save_role(
    conn: Connection, db: Database, name: str, grants: Sequence[str], description: str
) -> None:
    """Create or replace a custom role (built-in roles cannot be replaced)."""
    check_name(name, "role")
    perms.expand(list(grants))
    existing = conn.execute(select(t.roles.c.builtin).where(t.roles.c.name == name)).first()
    if existing is not None and existing.builtin:
        raise InvalidInput(f"role {name!r} is built in; create a role with another name")
    stamp = now_ms()
    row = {
        "name": name,
        "description": description,
        "permissions": list(grants),
        "builtin": False,
        "created_at": stamp,
        "updated_at": stamp,
    }
    stmt = db.upsert(t.roles, ["name"], ["description", "permissions", "updated_at"])
    conn.execute(stmt, row)


def delete_role(conn: Connection, name: str) -> None:
    """Delete a custom role and take it away from every user."""
    role = get_role(conn, name)
    if role.builtin:
        raise InvalidInput(f"role {name!r} is built in and cannot be deleted")
    conn.execute(delete(t.user_roles).where(t.user_roles.c.role == name))
    conn.execute(delete(t.roles).where(t.roles.c.name == name))


def add_user(
    conn: Connection,
    name: str,
    password_hash: str | None,
    roles: Sequence[str],
    display_name: str | None,
) -> None:
    """Insert a user with roles (validated first: nothing is written on a bad role)."""
    check_name(name)
    for role in roles:
        get_role(conn, role)
    if conn.execute(select(t.users.c.name).where(t.users.c.name == name)).first():
        raise UserExists(f"user {name!r} exists; change it with `loopml users set-roles`")
    stamp = now_ms()
    conn.execute(
        insert(t.users),
        {
            "name": name,
            "password_hash": password_hash,
            "display_name": display_name,
            "disabled": False,
            "created_at": stamp,
            "updated_at": stamp,
        },
    )
    set_roles(conn, name, roles)


def set_roles(conn: Connection, name: str, roles: Sequence[str]) -> None:
    """Replace the roles of user ``name``."""
    get_user(conn, name)
    for role in roles:
        get_role(conn, role)
    conn.execute(delete(t.user_roles).where(t.user_roles.c.user == name))
    if roles:
        conn.execute(insert(t.user_roles), [{"user": name, "role": r} for r in sorted(set(roles))])
    _touch(conn, name)


def update_user(conn: Connection, name: str, **values: object) -> None:
    """Update columns of user ``name`` (password hash, disabled, display name)."""
    get_user(conn, name)
    conn.execute(update(t.users).where(t.users.c.name == name).values(**values))
    _touch(conn, name)


def delete_user(conn: Connection, name: str) -> None:
    """Delete a user with their roles, tokens and sessions."""
    get_user(conn, name)
    for table in (t.user_roles, t.tokens, t.sessions):
        conn.execute(delete(table).where(table.c.user == name))
    conn.execute(delete(t.users).where(t.users.c.name == name))


def get_user(conn: Connection, name: str) -> User:
    """Return one user, or raise :class:`UserNotFound`."""
    row = conn.execute(select(t.users).where(t.users.c.name == name)).first()
    if row is None:
        raise UserNotFound(f"no user {name!r}; list users with `loopml users list`")
    return _user(row, roles_of(conn, name))


def password_hash(conn: Connection, name: str) -> str | None:
    """Return the stored password hash of ``name`` (``None`` when no such user)."""
    row = conn.execute(select(t.users.c.password_hash).where(t.users.c.name == name)).first()
    return None if row is None else row.password_hash


def list_users(conn: Connection) -> list[User]:
    """Return every user, sorted by name."""
    grants: dict[str, list[str]] = {}
    for row in conn.execute(select(t.user_roles).order_by(t.user_roles.c.role)):
        grants.setdefault(row.user, []).append(row.role)
    rows = conn.execute(select(t.users).order_by(t.users.c.name)).all()
    return [_user(r, tuple(grants.get(r.name, ()))) for r in rows]


def roles_of(conn: Connection, name: str) -> tuple[str, ...]:
    """Return the role names of user ``name``."""
    stmt = select(t.user_roles.c.role).where(t.user_roles.c.user == name)
    return tuple(sorted(conn.execute(stmt).scalars()))


def permissions_of(conn: Connection, roles: Sequence[str]) -> frozenset[str]:
    """Return the union of the permissions that ``roles`` grant (unknown roles grant nothing)."""
    if not roles:
        return frozenset()
    rows = conn.execute(select(t.roles).where(t.roles.c.name.in_(list(roles)))).all()
    granted: set[str] = set()
    for row in rows:
        granted |= role_from_row(row).permissions
    return frozenset(granted)


def count_users(conn: Connection) -> int:
    """Return how many users are enabled."""
    stmt = select(func.count()).select_from(t.users).where(t.users.c.disabled.is_(False))
    return int(conn.execute(stmt).scalar_one())


def _touch(conn: Connection, name: str) -> None:
    conn.execute(update(t.users).where(t.users.c.name == name).values(updated_at=now_ms()))


def _user(row: Any, roles: tuple[str, ...]) -> User:
    return User(
        name=row.name,
        roles=roles,
        display_name=row.display_name,
        disabled=bool(row.disabled),
        has_password=bool(row.password_hash),
        created_at=row.created_at,
        updated_at=row.updated_at,
    )

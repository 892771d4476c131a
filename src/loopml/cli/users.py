"""``loopml users|tokens|roles|audit``: who may use the platform server, and what they did."""

from __future__ import annotations

import getpass
import sys
import time
from typing import TYPE_CHECKING, Any

import typer

import loopml as lm
from loopml.cli._output import JSON_OPTION, console, format_ms, print_json, print_table

if TYPE_CHECKING:
    from loopml.auth import Auth, Role, Token, User

users_app = typer.Typer(help="Manage users of the platform server.", no_args_is_help=True)
tokens_app = typer.Typer(help="Manage API tokens (Bearer tokens).", no_args_is_help=True)
roles_app = typer.Typer(help="List and define roles.", no_args_is_help=True)

ROLE_OPTION = typer.Option(None, "--role", "-r", help="A role (repeat for several).")


def _auth() -> Auth:
    return lm.get_client().auth


def _audit(action: str) -> None:
    """Record a user-management change made from the command line in the audit log."""
    lm.get_client().auth.record(
        [
            {
                "at": int(time.time() * 1000),
                "principal": getpass.getuser(),
                "via": "cli",
                "action": action,
                "method": "CLI",
                "path": " ".join(["loopml", *sys.argv[1:]])[:2000],
                "status": 200,
                "client": "cli",
                "detail": None,
            }
        ]
    )


def _password(ask: bool, from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    if ask:
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    return None


# ---------------------------------------------------------------------- users
@users_app.command("list")
def users_list(as_json: bool = JSON_OPTION) -> None:
    """List users with their roles.

    Example: loopml users list --json
    """
    found = _auth().list_users()
    if as_json:
        print_json([_user(u) for u in found])
        return
    rows = [
        (u.name, ", ".join(u.roles), "yes" if u.has_password else "no",
         "disabled" if u.disabled else "", format_ms(u.created_at))
        for u in found
    ]  # fmt: skip
    print_table("users", ["name", "roles", "password", "", "created (UTC)"], rows)


@users_app.command("add")
def users_add(
    name: str,
    role: list[str] = ROLE_OPTION,
    password: bool = typer.Option(False, "--password", help="Ask for a UI login password."),
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
    display_name: str = typer.Option(None, "--display-name", help="A full name."),
) -> None:
    """Add a user (the first user turns login on for the server).

    Example: loopml users add ada --role data_scientist --password
    """
    secret = _password(password, password_stdin)
    user = _auth().add_user(name, password=secret, roles=role or [], display_name=display_name)
    _audit("users:write")
    console.print(f"added user {user.name!r} with roles {', '.join(user.roles) or '(none)'}")


@users_app.command("set-roles")
def users_set_roles(name: str, role: list[str] = ROLE_OPTION) -> None:
    """Replace a user's roles (no --role removes them all).

    Example: loopml users set-roles ada -r data_scientist -r ml_engineer
    """
    user = _auth().set_roles(name, role or [])
    _audit("users:write")
    console.print(f"{user.name!r} now has roles {', '.join(user.roles) or '(none)'}")


@users_app.command("set-password")
def users_set_password(
    name: str,
    password_stdin: bool = typer.Option(
        False, "--password-stdin", help="Read the password from the first line of stdin."
    ),
) -> None:
    """Set a user's password (their UI sessions end).

    Example: loopml users set-password ada
    """
    secret = _password(True, password_stdin) or ""
    _auth().set_password(name, secret)
    _audit("users:write")
    console.print(f"password of {name!r} changed")


@users_app.command("disable")
def users_disable(name: str) -> None:
    """Disable a user: their tokens and sessions stop working.

    Example: loopml users disable ada
    """
    _auth().set_disabled(name, True)
    _audit("users:write")
    console.print(f"disabled {name!r}")


@users_app.command("enable")
def users_enable(name: str) -> None:
    """Enable a disabled user.

    Example: loopml users enable ada
    """
    _auth().set_disabled(name, False)
    _audit("users:write")
    console.print(f"enabled {name!r}")


@users_app.command("delete")
def users_delete(
    name: str, yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask.")
) -> None:
    """Delete a user with their tokens and sessions.

    Example: loopml users delete ada --yes
    """
    if not yes:
        typer.confirm(f"delete user {name!r} and their tokens?", abort=True)
    _auth().delete_user(name)
    _audit("users:delete")
    console.print(f"deleted {name!r}")


# ---------------------------------------------------------------------- tokens
@tokens_app.command("create")
def tokens_create(
    user: str,
    name: str = typer.Option("api", "--name", "-n", help="A label for the token."),
    role: list[str] = typer.Option(
        None, "--role", "-r", help="Narrow the token to some of the user's roles."
    ),
    expires: str = typer.Option(None, "--expires", help="Lifetime such as 90d (default: none)."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Create an API token; the secret is printed once and never stored.

    Example: loopml tokens create ada --name ci --expires 90d
    """
    created = _auth().create_token(user, name, roles=role or None, expires_in=expires)
    _audit("users:write")
    if as_json:
        print_json({**_token(created.token), "secret": created.secret})
        return
    console.print(f"token {created.token.id} for {user!r} (shown once, keep it secret):")
    typer.echo(created.secret)
    console.print("use it as 'Authorization: Bearer <token>' or MLFLOW_TRACKING_TOKEN")


@tokens_app.command("list")
def tokens_list(
    user: str = typer.Option(None, "--user", "-u", help="Only this user's tokens."),
    as_json: bool = JSON_OPTION,
) -> None:
    """List tokens (never their secrets).

    Example: loopml tokens list --user ada
    """
    found = _auth().list_tokens(user)
    if as_json:
        print_json([_token(t) for t in found])
        return
    rows = [
        (t.id, t.user, t.name, ", ".join(t.roles) if t.roles is not None else "(user's)",
         format_ms(t.created_at), format_ms(t.expires_at), format_ms(t.last_used_at),
         "revoked" if t.revoked_at else "active")
        for t in found
    ]  # fmt: skip
    columns = ["id", "user", "name", "roles", "created", "expires", "last used", "state"]
    print_table("tokens", columns, rows)


@tokens_app.command("revoke")
def tokens_revoke(token_id: str) -> None:
    """Revoke a token by id.

    Example: loopml tokens revoke 3f2a9c01d4e5b6a7
    """
    token = _auth().revoke_token(token_id)
    _audit("users:write")
    console.print(f"revoked token {token.id} ({token.name!r} of {token.user!r})")


# ---------------------------------------------------------------------- roles
@roles_app.command("list")
def roles_list(as_json: bool = JSON_OPTION) -> None:
    """List roles and what they grant.

    Example: loopml roles list
    """
    found = _auth().list_roles()
    if as_json:
        print_json([_role(r) for r in found])
        return
    rows = [(r.name, "built-in" if r.builtin else "custom", ", ".join(r.grants)) for r in found]
    print_table("roles", ["role", "kind", "grants"], rows)


@roles_app.command("show")
def roles_show(name: str, as_json: bool = JSON_OPTION) -> None:
    """Show a role with every permission it grants.

    Example: loopml roles show ml_engineer
    """
    role = _auth().get_role(name)
    if as_json:
        print_json(_role(role))
        return
    console.print(f"[bold]{role.name}[/bold]: {role.description}")
    for permission in sorted(role.permissions):
        console.print(f"  {permission}")


@roles_app.command("create")
def roles_create(
    name: str,
    allow: list[str] = typer.Option(
        ..., "--allow", "-a", help="A permission or pattern: runs:write, models:*, *:read."
    ),
    description: str = typer.Option("", "--description", "-d", help="What the role is for."),
) -> None:
    """Create or replace a custom role.

    Example: loopml roles create approver --allow '*:read' --allow models:promote
    """
    role = _auth().save_role(name, allow, description)
    _audit("users:write")
    console.print(f"role {role.name!r} grants {len(role.permissions)} permissions")


@roles_app.command("delete")
def roles_delete(name: str) -> None:
    """Delete a custom role (users holding it lose it).

    Example: loopml roles delete approver
    """
    _auth().delete_role(name)
    _audit("users:delete")
    console.print(f"deleted role {name!r}")


# ---------------------------------------------------------------------- audit
def audit(
    user: str = typer.Option(None, "--user", "-u", help="Only this user."),
    action: str = typer.Option(None, "--action", "-a", help="Only this action (models:*)."),
    since: str = typer.Option(None, "--since", help="Only the last 24h, 7d, ..."),
    failed: bool = typer.Option(False, "--failed", help="Only refused or failed calls."),
    limit: int = typer.Option(100, "--limit", "-n", help="At most this many entries."),
    as_json: bool = JSON_OPTION,
) -> None:
    """Show the audit log of the platform server (newest first).

    Example: loopml audit --action 'models:*' --since 7d
    """
    found = _auth().audit_log(
        principal=user, action=action, since=since, failed_only=failed, limit=limit
    )
    if as_json:
        print_json([_entry(e) for e in found])
        return
    rows = [
        (format_ms(e.at), e.principal, e.action, f"{e.method} {e.path}", e.status, e.client or "")
        for e in found
    ]
    print_table("audit log", ["when (UTC)", "who", "action", "request", "status", "from"], rows)


def _user(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "roles": list(user.roles),
        "display_name": user.display_name,
        "disabled": user.disabled,
        "has_password": user.has_password,
        "created_at": user.created_at,
    }


def _token(token: Token) -> dict[str, Any]:
    return {
        "id": token.id,
        "user": token.user,
        "name": token.name,
        "roles": None if token.roles is None else list(token.roles),
        "created_at": token.created_at,
        "expires_at": token.expires_at,
        "last_used_at": token.last_used_at,
        "revoked_at": token.revoked_at,
    }


def _role(role: Role) -> dict[str, Any]:
    return {
        "name": role.name,
        "description": role.description,
        "builtin": role.builtin,
        "grants": list(role.grants),
        "permissions": sorted(role.permissions),
    }


def _entry(entry: Any) -> dict[str, Any]:
    return {
        "id": entry.id,
        "at": entry.at,
        "principal": entry.principal,
        "via": entry.via,
        "action": entry.action,
        "method": entry.method,
        "path": entry.path,
        "status": entry.status,
        "client": entry.client,
        "detail": entry.detail,
    }

"""Users, roles, tokens, sessions and the audit log in the store (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings, strategies as st

from loopml.auth import (
    PERMISSIONS,
    Auth,
    InvalidCredentials,
    RoleNotFound,
    Unauthenticated,
    UserExists,
    permissions as perms,
    secrets,
)
from loopml.errors import InvalidInput


@pytest.fixture
def auth(store) -> Auth:
    return Auth(store)


def test_builtin_roles_map_the_papers_roles_plus_admin(auth: Auth) -> None:
    names = {r.name for r in auth.list_roles()}
    assert names == {
        "admin",
        "business_stakeholder",
        "solution_architect",
        "data_scientist",
        "data_engineer",
        "software_engineer",
        "devops_engineer",
        "ml_engineer",
    }
    assert auth.get_role("admin").permissions == frozenset(PERMISSIONS)


def test_promotion_is_separate_from_training_and_deploying(auth: Auth) -> None:
    holders = {r.name for r in auth.list_roles() if "models:promote" in r.permissions}
    deployers = {r.name for r in auth.list_roles() if "deployments:deploy" in r.permissions}
    trainers = {r.name for r in auth.list_roles() if "runs:write" in r.permissions}
    assert holders == {"admin", "ml_engineer"}
    assert "data_scientist" in trainers
    assert "data_scientist" not in holders
    assert "devops_engineer" in deployers
    assert "devops_engineer" not in holders
    assert "ml_engineer" not in deployers


def test_stakeholder_changes_nothing(auth: Auth) -> None:
    role = auth.get_role("business_stakeholder")
    assert role.permissions
    assert all(p.endswith(":read") for p in role.permissions)
    assert "audit:read" not in role.permissions


def test_password_is_stored_hashed_and_login_checks_it(auth: Auth, store) -> None:
    auth.add_user("ada", password="correct horse", roles=["data_scientist"])
    with store.db.read() as conn:
        stored = conn.exec_driver_sql("select password_hash from auth_users").scalar()
    assert "correct horse" not in stored
    assert stored.startswith("scrypt$")
    session, csrf = auth.login("ada", "correct horse")
    principal = auth.session_principal(session)
    assert principal is not None
    assert principal.name == "ada"
    assert principal.csrf == csrf
    with pytest.raises(Unauthenticated):
        auth.login("ada", "wrong horse")
    with pytest.raises(Unauthenticated):
        auth.login("nobody", "correct horse")
    auth.logout(session)
    assert auth.session_principal(session) is None


def test_token_is_stored_as_digest_and_acts_with_roles(auth: Auth, store) -> None:
    auth.add_user("ops", roles=["devops_engineer", "ml_engineer"])
    created = auth.create_token("ops", "ci", roles=["devops_engineer"])
    with store.db.read() as conn:
        digests = [r[0] for r in conn.exec_driver_sql("select digest from auth_tokens")]
    assert created.secret not in digests
    assert secrets.digest(created.secret) in digests
    principal = auth.authenticate_token(created.secret)
    assert auth.list_tokens("ops")[0].last_used_at is not None
    assert principal.allows("deployments:deploy")
    assert not principal.allows("models:promote")
    assert auth.authenticate_token(auth.create_token("ops").secret).allows("models:promote")


def test_token_cannot_widen_its_users_roles(auth: Auth) -> None:
    auth.add_user("ds", roles=["data_scientist"])
    with pytest.raises(InvalidCredentials, match="does not hold"):
        auth.create_token("ds", roles=["admin"])


@pytest.mark.parametrize("lifetime", ["0000000000000000", "-5d", "0s", "1e300w", "soon"])
def test_token_lifetime_that_is_not_a_positive_duration_is_refused(
    auth: Auth, lifetime: str
) -> None:
    auth.add_user("ds", roles=["data_scientist"])
    with pytest.raises(InvalidCredentials, match="token lifetime"):
        auth.create_token("ds", expires_in=lifetime)
    assert auth.list_tokens("ds") == []


def test_revoked_expired_and_disabled_tokens_stop_working(auth: Auth) -> None:
    auth.add_user("ds", roles=["data_scientist"])
    revoked = auth.create_token("ds")
    auth.revoke_token(revoked.token.id)
    expired = auth.create_token("ds", expires_in="1ms")
    kept = auth.create_token("ds")
    time.sleep(0.01)
    for secret in (revoked.secret, expired.secret, "lml_not-a-token"):
        with pytest.raises(Unauthenticated):
            auth.authenticate_token(secret)
    assert auth.authenticate_token(kept.secret).name == "ds"
    auth.set_disabled("ds", True)
    with pytest.raises(Unauthenticated):
        auth.authenticate_token(kept.secret)


def test_bad_input_writes_nothing(auth: Auth) -> None:
    with pytest.raises(RoleNotFound, match="roles: admin"):
        auth.add_user("ada", roles=["wizard"])
    with pytest.raises(InvalidCredentials, match="at least 8"):
        auth.add_user("ada", password="short")
    with pytest.raises(InvalidCredentials, match="not valid"):
        auth.add_user("a b")
    assert auth.list_users() == []
    auth.add_user("ada")
    with pytest.raises(UserExists):
        auth.add_user("ada")


def test_auth_is_enabled_once_an_enabled_user_exists(auth: Auth) -> None:
    assert not auth.is_enabled()
    auth.add_user("ada", roles=["admin"])
    assert auth.is_enabled()
    auth.set_disabled("ada", True)
    assert not auth.is_enabled()


def test_custom_roles_expand_patterns_and_reject_typos(auth: Auth) -> None:
    role = auth.save_role("approver", ["*:read", "models:promote"], "approves promotions")
    assert "models:promote" in role.permissions
    assert "models:write" not in role.permissions
    with pytest.raises(InvalidInput, match="matches no permission"):
        auth.save_role("typo", ["run:read"])
    with pytest.raises(InvalidInput, match="built in"):
        auth.save_role("admin", ["*:read"])
    auth.add_user("ann", roles=["approver"])
    auth.delete_role("approver")
    assert auth.get_user("ann").roles == ()


def test_audit_log_filters_and_pages(auth: Auth) -> None:
    rows = [
        {
            "at": 1000 + i,
            "principal": "ada" if i % 2 else "bob",
            "via": "token",
            "action": "models:promote" if i % 3 == 0 else "runs:write",
            "method": "POST",
            "path": f"/api/x/{i}",
            "status": 403 if i == 4 else 200,
            "client": "127.0.0.1",
            "detail": None,
        }
        for i in range(10)
    ]
    auth.record(rows)
    newest = auth.audit_log(limit=3)
    assert [e.path for e in newest] == ["/api/x/9", "/api/x/8", "/api/x/7"]
    older = auth.audit_log(limit=3, before_id=newest[-1].id)
    assert older[0].path == "/api/x/6"
    assert {e.principal for e in auth.audit_log(principal="ada")} == {"ada"}
    assert {e.action for e in auth.audit_log(action="models:*")} == {"models:promote"}
    assert [e.status for e in auth.audit_log(failed_only=True)] == [403]


@settings(max_examples=5, deadline=None)
@given(st.text(min_size=1, max_size=40))
def test_password_hash_round_trip(password: str) -> None:
    stored = secrets.hash_password(password)
    assert secrets.verify_password(password, stored)
    assert not secrets.verify_password(password + "x", stored)


def test_only_admin_manages_users_and_nobody_rewrites_the_audit_log() -> None:
    granted = set().union(*(perms.expand(r.grants) for r in perms.BUILTIN_ROLES[1:]))
    assert set(PERMISSIONS) - granted == {
        "users:read",
        "users:write",
        "users:delete",
        "audit:write",
        "audit:delete",
    }

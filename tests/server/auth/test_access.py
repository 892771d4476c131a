"""Deny by default, the single local user, roles x actions, 403 that leaks nothing, audit."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from loopml.auth import BUILTIN_ROLES, PERMISSIONS
from loopml.auth.permissions import expand
from loopml.errors import ConfigError
from loopml.server.auth import check_bind
from tests.server.auth.conftest import REMOTE, bearer, make_app, token_for

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
NOT_GUARDED = {"/ui/login", "/ui/logout"}


def test_single_local_user_needs_no_login_on_loopback(local: TestClient) -> None:
    answer = local.get("/api/v1/whoami")
    assert answer.status_code == 200
    assert answer.json()["via"] == "local"
    assert "admin" in answer.json()["roles"]
    page = local.get("/ui/experiments")
    assert "no login needed on 127.0.0.1" in page.text


def test_without_users_a_remote_caller_is_refused(remote: TestClient) -> None:
    answer = remote.get("/api/v1/whoami")
    assert answer.status_code == 401
    assert "loopml users add" in answer.json()["message"]


def test_once_a_user_exists_everyone_authenticates(sqlite_client, local: TestClient) -> None:
    sqlite_client.auth.add_user("ada", roles=["admin"])
    local.app.state.authorizer._enabled = None  # the two-second cache
    answer = local.get("/api/v1/whoami")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"].startswith("Bearer")
    page = local.get("/ui/runs?filter=x", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/ui/login?next=/ui/runs%3Ffilter%3Dx"


def test_check_bind_refuses_a_public_address_without_auth() -> None:
    check_bind("127.0.0.1", False)
    check_bind("::1", False)
    check_bind("0.0.0.0", True)
    with pytest.raises(ConfigError, match=r"refusing to listen on .0\.0\.0\.0. without auth"):
        check_bind("0.0.0.0", False)


def _mutating_routes(app) -> list[tuple[str, str]]:
    """Every mutating operation of the app's OpenAPI document, path parameters filled in."""
    found = []
    for path, operations in app.openapi()["paths"].items():
        if path in NOT_GUARDED:
            continue
        for method in sorted(m.upper() for m in operations if m.upper() in MUTATING):
            found.append((method, re.sub(r"\{[^}]+\}", "x", path)))
    return found


def _required_permission(http: TestClient, method: str, path: str, token: str) -> str:
    answer = http.request(method, path, headers=bearer(token), json={})
    assert answer.status_code not in (401, 403), (method, path, answer.text)
    permission = http.app.state.last_permission
    assert permission in PERMISSIONS, (method, path, permission)
    return permission


def test_role_by_action_matrix_over_every_mutating_route(sqlite_client) -> None:
    app = make_app(sqlite_client, required=True)

    @app.middleware("http")
    async def remember(request, call_next):
        response = await call_next(request)
        app.state.last_permission = getattr(request.state, "permission", None)
        return response

    routes = _mutating_routes(app)
    assert len(routes) >= 8
    tokens = {r.name: token_for(sqlite_client, r.name) for r in BUILTIN_ROLES}
    forbidden = allowed = 0
    with TestClient(app, client=REMOTE) as http:
        for method, path in routes:
            permission = _required_permission(http, method, path, tokens["admin"])
            for role in BUILTIN_ROLES:
                answer = http.request(method, path, headers=bearer(tokens[role.name]), json={})
                if permission in expand(role.grants):
                    allowed += 1
                    assert answer.status_code not in (401, 403), (role.name, method, path)
                    assert answer.status_code < 500, (role.name, method, path, answer.text)
                else:
                    forbidden += 1
                    assert answer.status_code == 403, (role.name, method, path)
    assert forbidden > 0
    assert allowed > 0


def test_allowed_component_calls_succeed(sqlite_client, remote: TestClient) -> None:
    ml = token_for(sqlite_client, "ml_engineer")
    ops = token_for(sqlite_client, "devops_engineer")
    ds = token_for(sqlite_client, "data_scientist")
    assert remote.post("/api/v1/models/churn/aliases/champion", headers=bearer(ml)).is_success
    assert (
        remote.post("/api/v1/models/churn/aliases/champion", headers=bearer(ops)).status_code == 403
    )
    assert (
        remote.post("/api/v1/models/churn/aliases/champion", headers=bearer(ds)).status_code == 403
    )
    assert remote.post("/api/v1/deployments/churn/deploy", headers=bearer(ops)).is_success
    assert remote.post("/api/v1/deployments/churn/deploy", headers=bearer(ml)).status_code == 403
    assert remote.post("/api/v1/experiments", headers=bearer(ds)).is_success


def test_forbidden_never_tells_whether_an_object_exists(sqlite_client, remote: TestClient) -> None:
    with sqlite_client.runs.start_run("exp") as run:
        pass
    sqlite_client.auth.save_role("models_only", ["models:read"])
    blind = token_for(sqlite_client, "models_only")
    stakeholder = token_for(sqlite_client, "business_stakeholder")
    for method, token in (("GET", blind), ("DELETE", stakeholder)):
        existing = remote.request(method, f"/api/v1/runs/{run.id}", headers=bearer(token))
        missing = remote.request(method, "/api/v1/runs/" + "0" * 32, headers=bearer(token))
        assert existing.status_code == missing.status_code == 403
        assert existing.json() == missing.json()
    reader = token_for(sqlite_client, "data_scientist")
    assert remote.get(f"/api/v1/runs/{run.id}", headers=bearer(reader)).status_code == 200
    assert remote.get("/api/v1/runs/" + "0" * 32, headers=bearer(reader)).status_code == 404


def test_bad_tokens_are_401(sqlite_client, remote: TestClient) -> None:
    token_for(sqlite_client, "admin")
    for header in ("Bearer lml_nope", "Bearer ", "Basic abc"):
        answer = remote.get("/api/v1/whoami", headers={"Authorization": header})
        assert answer.status_code == 401, header


def test_every_mutation_is_audited_with_who_what_where_status(sqlite_client, remote) -> None:
    ml = token_for(sqlite_client, "ml_engineer")
    ds = token_for(sqlite_client, "data_scientist")
    remote.post("/api/v1/models/churn/aliases/champion", headers=bearer(ml))
    remote.post("/api/v1/models/churn/aliases/champion", headers=bearer(ds))
    remote.get("/api/v1/whoami", headers=bearer(ds))
    assert remote.app.state.audit_writer.flush()
    entries = sqlite_client.auth.audit_log(action="models:promote")
    assert [(e.principal, e.status) for e in entries] == [
        ("u-data_scientist", 403),
        ("u-ml_engineer", 200),
    ]
    assert entries[1].client == REMOTE[0]
    assert entries[1].via == "token"
    assert entries[1].path == "/api/v1/models/churn/aliases/champion"
    assert entries[1].detail
    assert entries[1].detail["token"]
    assert not sqlite_client.auth.audit_log(action="experiments:read")


def test_audit_is_queryable_over_rest(sqlite_client, remote: TestClient) -> None:
    admin = token_for(sqlite_client, "admin")
    architect = token_for(sqlite_client, "solution_architect")
    ds = token_for(sqlite_client, "data_scientist")
    remote.post("/api/v1/experiments", headers=bearer(ds))
    remote.app.state.audit_writer.flush()
    found = remote.get("/api/v1/audit?action=experiments:*", headers=bearer(architect))
    assert found.status_code == 200
    assert [e["principal"] for e in found.json()] == ["u-data_scientist"]
    assert remote.get("/api/v1/audit", headers=bearer(ds)).status_code == 403
    assert remote.get("/api/v1/users", headers=bearer(admin)).status_code == 200
    assert remote.get("/api/v1/users", headers=bearer(architect)).status_code == 403


def test_users_and_tokens_over_rest(sqlite_client, remote: TestClient) -> None:
    admin = bearer(token_for(sqlite_client, "admin"))
    made = remote.post(
        "/api/v1/users", json={"name": "eve", "roles": ["data_engineer"]}, headers=admin
    )
    assert made.status_code == 201
    assert made.json()["roles"] == ["data_engineer"]
    assert remote.post("/api/v1/users", json={"name": "eve"}, headers=admin).status_code == 409
    bad = remote.post("/api/v1/users", json={"name": "x", "roles": ["wizard"]}, headers=admin)
    assert bad.status_code == 404
    assert "wizard" in bad.json()["message"]
    token = remote.post("/api/v1/users/eve/tokens", json={"name": "ci"}, headers=admin).json()
    eve = bearer(token["secret"])
    assert remote.get("/api/v1/whoami", headers=eve).json()["name"] == "eve"
    assert remote.delete(f"/api/v1/tokens/{token['id']}", headers=admin).json()["revoked_at"]
    assert remote.get("/api/v1/whoami", headers=eve).status_code == 401
    listed = remote.get("/api/v1/users/eve/tokens", headers=admin).json()
    assert listed[0]["secret"] is None

"""Deny by default, the single local user, roles x actions, 403 that leaks nothing, audit."""

from __future__ import annotations

import numpy as np
import pytest
from fastapi.testclient import TestClient
from sklearn.linear_model import LogisticRegression

from loopml.errors import ConfigError
from loopml.server.auth import check_bind
from loopml.server.runner import PlatformServer
from tests.server.auth.conftest import REMOTE, bearer, token_for


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


def _model(client) -> None:
    x = np.random.default_rng(0).normal(size=(20, 2))
    with client.runs.start_run("training", capture=False) as run:
        ref = run.log_model(LogisticRegression().fit(x, x[:, 0] > 0), "model", example=x[:2])
    client.models.register_model(ref, "churn")


def test_promotion_needs_its_own_permission(sqlite_client, remote: TestClient) -> None:
    _model(sqlite_client)
    ml = bearer(token_for(sqlite_client, "ml_engineer"))
    path = "/api/v1/models/churn/aliases/champion"
    for role in ("data_scientist", "devops_engineer", "business_stakeholder"):
        refused = remote.put(
            path, json={"version": 1}, headers=bearer(token_for(sqlite_client, role))
        )
        assert refused.status_code == 403, role
        assert refused.json()["error_code"] == "PERMISSION_DENIED"
    assert remote.put(path, json={"version": 1}, headers=ml).is_success
    [change] = sqlite_client.models.alias_history("churn", "champion")
    assert change.by == "u-ml_engineer"


def test_allowed_component_calls_succeed(sqlite_client, remote: TestClient) -> None:
    ds = bearer(token_for(sqlite_client, "data_scientist"))
    made = remote.post("/api/v1/experiments", json={"name": "churn"}, headers=ds)
    assert made.is_success
    run = remote.post("/api/v1/runs", json={"experiment": "churn"}, headers=ds)
    assert run.is_success, run.text
    run_id = run.json()["id"]
    assert remote.delete(f"/api/v1/runs/{run_id}", headers=ds).is_success
    stakeholder = bearer(token_for(sqlite_client, "business_stakeholder"))
    assert remote.get("/api/v1/experiments", headers=stakeholder).is_success
    refused = remote.post("/api/v1/experiments", json={"name": "x"}, headers=stakeholder)
    assert refused.status_code == 403


def test_forbidden_never_tells_whether_an_object_exists(sqlite_client, remote: TestClient) -> None:
    with sqlite_client.runs.start_run("exp") as run:
        pass
    sqlite_client.auth.save_role("models_only", ["models:read"])
    blind = token_for(sqlite_client, "models_only")
    stakeholder = token_for(sqlite_client, "business_stakeholder")
    for method, token in (("GET", blind), ("DELETE", stakeholder)):
        existing = remote.request(method, f"/api/v1/runs/{run.id}", headers=bearer(token))
        missing = remote.request(method, "/api/v1/runs/" + "0" * 32, headers=bearer(token))
        assert existing.status_code == 403
        assert existing.status_code == missing.status_code == 403
        assert existing.json() == missing.json()
    absent = "0" * 32
    for known, unknown in (  # the UI, the MLflow API and its artifact listing alike
        (f"/ui/runs/{run.id}", f"/ui/runs/{absent}"),
        (f"/ui/compare?run={run.id}", f"/ui/compare?run={absent}"),
        (f"/api/2.0/mlflow/runs/get?run_id={run.id}", f"/api/2.0/mlflow/runs/get?run_id={absent}"),
        (
            f"/api/2.0/mlflow-artifacts/artifacts?path=1/{run.id}/artifacts",
            f"/api/2.0/mlflow-artifacts/artifacts?path=1/{absent}/artifacts",
        ),
    ):
        existing = remote.get(known, headers=bearer(blind))
        missing = remote.get(unknown, headers=bearer(blind))
        assert existing.status_code == missing.status_code == 403, known
        assert existing.text == missing.text, known
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
    _model(sqlite_client)
    remote.put("/api/v1/models/churn/aliases/champion", json={"version": 1}, headers=bearer(ml))
    remote.put("/api/v1/models/churn/aliases/champion", json={"version": 1}, headers=bearer(ds))
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
    remote.post("/api/v1/experiments", json={"name": "e"}, headers=bearer(ds))
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


def test_loopml_up_refuses_a_public_address_until_a_user_exists(sqlite_client) -> None:
    server = PlatformServer(sqlite_client, host="0.0.0.0", port=0, scheduler=False)
    with pytest.raises(ConfigError, match="without auth"):
        server.serve()
    assert server._socket is None  # refused before binding anything

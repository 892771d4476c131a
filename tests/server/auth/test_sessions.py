"""UI login with sessions and CSRF protection."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from loopml.server.auth.authorizer import SESSION_COOKIE


def _login(http: TestClient, user: str, password: str, next: str = "/ui/runs"):
    form = http.get(f"/ui/login?next={next}")
    csrf = re.search(r'name="csrf" value="([^"]+)"', form.text).group(1)
    return http.post(
        "/ui/login",
        data={"user": user, "password": password, "csrf": csrf, "next": next},
        follow_redirects=False,
    )


def test_login_sets_a_session_and_returns_to_the_page(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["data_scientist"])
    answer = _login(remote, "ada", "correct horse")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/ui/runs"
    cookie = answer.headers["set-cookie"]
    assert SESSION_COOKIE in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    page = remote.get("/ui/runs")
    assert page.status_code == 200
    assert "ada" in page.text
    assert "log out" in page.text


def test_wrong_password_is_401_and_audited(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    answer = _login(remote, "ada", "wrong horse")
    assert answer.status_code == 401
    assert "wrong user name or password" in answer.text
    remote.app.state.audit_writer.flush()
    [entry] = sqlite_client.auth.audit_log(action="auth:login")
    assert (entry.principal, entry.status) == ("ada", 401)


def test_login_form_needs_its_csrf_token(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    remote.get("/ui/login")
    forged = remote.post(
        "/ui/login", data={"user": "ada", "password": "correct horse", "csrf": "forged"}
    )
    assert forged.status_code == 403


def test_open_redirects_are_refused(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    answer = _login(remote, "ada", "correct horse", next="https://evil.example/")
    assert answer.headers["location"] == "/ui/"


def test_session_mutations_need_the_csrf_header(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    _login(remote, "ada", "correct horse")
    page = remote.get("/ui/experiments").text
    csrf = re.search(r'"X-CSRF-Token": "([^"]+)"', page).group(1)
    assert remote.post("/api/v1/experiments").status_code == 403
    assert remote.post("/api/v1/experiments", headers={"X-CSRF-Token": "nope"}).status_code == 403
    assert remote.post("/api/v1/experiments", headers={"X-CSRF-Token": csrf}).status_code == 200


def test_logout_ends_the_session(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    _login(remote, "ada", "correct horse")
    page = remote.get("/ui/experiments").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    assert remote.post("/ui/logout", data={"csrf": "bad"}).status_code == 403
    out = remote.post("/ui/logout", data={"csrf": csrf}, follow_redirects=False)
    assert out.status_code == 303
    assert remote.get("/ui/experiments", follow_redirects=False).status_code == 303


def test_disabled_user_loses_the_session(sqlite_client, remote: TestClient) -> None:
    sqlite_client.auth.add_user("ada", password="correct horse", roles=["admin"])
    _login(remote, "ada", "correct horse")
    sqlite_client.auth.set_disabled("ada", True)
    assert remote.get("/ui/experiments", follow_redirects=False).status_code == 303

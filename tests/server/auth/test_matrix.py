"""Role x action matrix over every mutating route: forbidden is always 403, allowed always 2xx.

Each call is a valid request on objects made for it (``matrix_cases``), so an allowed role's
answer must be a success, not merely "not 403"; a forbidden role's answer must be 403
before the route looks at anything, and the same 403 body for every object it guards.
"""

from __future__ import annotations

import collections
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from loopml.auth import BUILTIN_ROLES, PERMISSIONS
from loopml.auth.permissions import expand
from tests.server.auth.conftest import REMOTE, bearer, make_app, token_for
from tests.server.auth.matrix_cases import Call, World, cases

if TYPE_CHECKING:
    from pathlib import Path

    from fastapi import FastAPI

    import loopml as lm

MUTATING = {"POST", "PUT", "PATCH", "DELETE"}
NOT_GUARDED = {"/ui/login", "/ui/logout"}  # the login form itself (CSRF-checked, tested apart)


def mutating_routes(app: FastAPI) -> set[tuple[str, str]]:
    """Every mutating operation of the app's OpenAPI document, as ``(METHOD, path)``."""
    found = set()
    for path, operations in app.openapi()["paths"].items():
        if path not in NOT_GUARDED:
            found |= {(m.upper(), path) for m in operations if m.upper() in MUTATING}
    return found


def send(http: TestClient, call: Call, token: str) -> tuple[int, str]:
    """Send ``call`` with ``token``; return the status and the body text."""
    headers = bearer(token)
    if call.content is not None:
        headers["Content-Type"] = "text/plain"
    answer = http.request(call.method, call.path, headers=headers, json=call.json,
                          content=call.content, params=call.params)  # fmt: skip
    return answer.status_code, answer.text


def test_every_mutating_route_has_a_valid_request(sqlite_client: lm.Client, tmp_path) -> None:
    app = make_app(sqlite_client, required=True)
    world = World(sqlite_client, tmp_path)
    routes, covered = mutating_routes(app), set(cases(world))
    assert routes - covered == set(), "add a request for each new mutating route"
    assert covered - routes == set(), "a case names a route that no longer exists"


def test_role_by_action_matrix_over_every_mutating_route(
    sqlite_client: lm.Client, tmp_path: Path
) -> None:
    app = make_app(sqlite_client, required=True)
    seen: dict[str, str | None] = {}

    @app.middleware("http")
    async def remember(request, call_next):  # type: ignore[no-untyped-def]
        response = await call_next(request)
        seen["permission"] = getattr(request.state, "permission", None)
        return response

    world = World(sqlite_client, tmp_path)
    factories = cases(world)
    tokens = {r.name: token_for(sqlite_client, r.name) for r in BUILTIN_ROLES}
    tally: collections.Counter[str] = collections.Counter()
    wrong: list[str] = []
    refusals: dict[tuple[str, str], set[str]] = collections.defaultdict(set)
    routes = sorted(mutating_routes(app))
    assert len(routes) >= 60
    with TestClient(app, client=REMOTE) as http:
        for route in routes:
            status, text = send(http, factories[route](world), tokens["admin"])
            permission = seen["permission"]
            assert permission in PERMISSIONS, (route, permission)
            if not 200 <= status < 300:
                wrong.append(f"admin {route}: {status} {text[:300]}")
                continue
            for role in BUILTIN_ROLES:
                status, text = send(http, factories[route](world), tokens[role.name])
                allowed = permission in expand(role.grants)
                tally["allowed" if allowed else "forbidden"] += 1
                if allowed and not 200 <= status < 300:
                    wrong.append(f"{role.name} {route} {permission}: {status} {text[:200]}")
                if not allowed and status != 403:
                    wrong.append(f"{role.name} {route} {permission}: {status}, not 403")
                if not allowed:
                    refusals[(role.name, str(permission))].add(text)
    assert sum(tally.values()) == len(routes) * len(BUILTIN_ROLES)
    # A refusal names the caller and the permission, never the object: nothing leaks.
    assert {key: texts for key, texts in refusals.items() if len(texts) > 1} == {}
    assert wrong == []
    assert tally["allowed"] > 0
    assert tally["forbidden"] > 0

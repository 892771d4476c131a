"""The permission seam: every route declares one permission from the fixed vocabulary."""

from __future__ import annotations

import pytest
from fastapi import HTTPException
from fastapi.routing import APIRoute

from loopml.server.access import PERMISSIONS, requires
from loopml.server.app import create_app
from loopml.server.mlflow import ROUTERS as MLFLOW_ROUTERS
from loopml.server.routers import ROUTERS

PUBLIC = {"/health"}
#: POST routes that only read (their query is too large for a URL)
READ_POSTS = {
    "/api/v1/runs/search",
    "/api/v1/features/online",
    "/api/2.0/mlflow/experiments/search",
    "/api/2.0/mlflow/runs/search",
    "/api/2.0/mlflow/logged-models/search",
    "/api/2.0/mlflow/registered-models/get-latest-versions",
}


def _permissions(route: APIRoute) -> list[str]:
    return [
        d.call.__name__.removeprefix("requires_").replace("_", ":", 1)
        for d in route.dependant.dependencies
        if d.call is not None and d.call.__name__.startswith("requires_")
    ]


def test_every_route_requires_exactly_one_known_permission(sqlite_client) -> None:
    routers = [*ROUTERS, *MLFLOW_ROUTERS]
    routes = [r for router in routers for r in router.routes if isinstance(r, APIRoute)]
    documented = create_app(sqlite_client).openapi()["paths"]
    assert {r.path.replace(":path", "") for r in routes} | PUBLIC <= set(documented)
    assert len(routes) > 80
    for route in routes:
        found = _permissions(route)
        assert len(found) == 1, (route.path, route.methods, found)
        assert found[0] in PERMISSIONS, (route.path, found)
        if route.methods & {"POST", "PUT", "PATCH", "DELETE"} and route.path not in READ_POSTS:
            assert not found[0].endswith(":read"), route.path


def test_the_vocabulary_is_resources_by_verbs_plus_promote_and_deploy() -> None:
    assert "models:promote" in PERMISSIONS
    assert "deployments:deploy" in PERMISSIONS
    assert "audit:read" in PERMISSIONS
    assert len(PERMISSIONS) == 11 * 3 + 2
    assert list(PERMISSIONS) == sorted(PERMISSIONS)
    with pytest.raises(ValueError, match="unknown permission"):
        requires("runs:fly")


def test_an_authorizer_that_refuses_gives_403_and_nothing_is_written(api, client) -> None:
    def authorizer(request, permission):
        if permission.endswith(":read"):
            return "reader"
        raise HTTPException(403, f"reader may not {permission}")

    api.app.state.authorizer = authorizer
    refused = api.post("/api/v1/experiments", json={"name": "x"})
    assert refused.status_code == 403
    assert refused.json()["error_code"] == "PERMISSION_DENIED"
    assert api.get("/api/v1/experiments").json() == []
    mlflow = api.post("/api/2.0/mlflow/experiments/create", json={"name": "x"})
    assert mlflow.status_code == 403
    assert client.runs.list_experiments() == []

"""Every integer a route reads from the path or query string is bounded (a 64-bit column).

An unbounded ``int`` parameter lets ``?version=9223372036854775808`` reach the database
driver, which answers with an OverflowError (a 500); a bound makes it a 422.
"""

from __future__ import annotations

from typing import Any

import annotated_types
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from loopml.server.app import create_app

LIMIT = 2**63


def _is_int(annotation: object) -> bool:
    return annotation is int or int in getattr(annotation, "__args__", ())


def _bounded(metadata: list[object]) -> bool:
    return any(
        (isinstance(m, annotated_types.Lt) and m.lt <= LIMIT)
        or (isinstance(m, annotated_types.Le) and m.le < LIMIT)
        for m in metadata
    )


def api_routes(routes: list[Any]) -> list[APIRoute]:
    """Every APIRoute, also inside included routers (kept by reference by FastAPI)."""
    found: list[APIRoute] = []
    for route in routes:
        if isinstance(route, APIRoute):
            found.append(route)
        elif hasattr(route, "original_router"):
            found += api_routes(route.original_router.routes)
    return found


def test_every_integer_path_and_query_parameter_has_an_upper_bound(sqlite_client) -> None:
    app = create_app(sqlite_client)
    routes = api_routes(app.routes)
    assert len(routes) > 100
    unbounded = []
    for route in routes:
        params = [*route.dependant.query_params, *route.dependant.path_params]
        for dependency in route.dependant.dependencies:
            params += [*dependency.query_params, *dependency.path_params]
        for param in params:
            if _is_int(param.field_info.annotation) and not _bounded(param.field_info.metadata):
                unbounded.append(f"{route.path} {param.name}")
    assert unbounded == []


def test_a_huge_integer_is_a_422_not_a_500(sqlite_client) -> None:
    huge = str(LIMIT)
    with TestClient(create_app(sqlite_client), client=("127.0.0.1", 50000)) as http:
        for path in (
            f"/api/v1/features/views/x?version={huge}",
            f"/api/v1/audit?before_id={huge}",
            f"/ui/audit?before={huge}",
        ):
            assert http.get(path).status_code == 422, path

"""``/api/v1/features``: entities, feature views (versions), online lookups."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request

from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of
from loopml.server.schemas.common import jsonable
from loopml.server.schemas.components import EntityOut, FeatureViewOut, OnlineOut, OnlineRequest

router = APIRouter(prefix="/api/v1/features", tags=["features"])
READ = [Depends(requires("features:read"))]


@router.get(
    "/entities", response_model=list[EntityOut], dependencies=READ, responses=error_responses()
)
def list_entities(request: Request) -> list[EntityOut]:
    """List registered entities."""
    return [EntityOut.of(e) for e in client_of(request).features.list_entities()]


@router.get(
    "/views", response_model=list[FeatureViewOut], dependencies=READ, responses=error_responses()
)
def list_views(request: Request) -> list[FeatureViewOut]:
    """List the latest version of every feature view."""
    return [FeatureViewOut.of(v) for v in client_of(request).features.list_views()]


@router.get(
    "/views/{name}",
    response_model=FeatureViewOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_view(
    request: Request, name: str, version: Annotated[int | None, Query(ge=1, lt=2**63)] = None
) -> FeatureViewOut:
    """Return a feature view (its latest version, or ``version``)."""
    return FeatureViewOut.of(client_of(request).features.get_view(name, version))  # type: ignore[no-any-return]


@router.get(
    "/views/{name}/versions",
    response_model=list[FeatureViewOut],
    dependencies=READ,
    responses=error_responses(404),
)
def view_versions(request: Request, name: str) -> list[FeatureViewOut]:
    """List every version of a feature view."""
    return [FeatureViewOut.of(v) for v in client_of(request).features.view_versions(name)]


@router.post(
    "/online",
    response_model=OnlineOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_online_features(request: Request, body: OnlineRequest) -> OnlineOut:
    """Look up the latest materialized values of some entities."""
    found = client_of(request).features.get_online_features(
        body.entities, body.features, full_names=body.full_names
    )
    return OnlineOut(columns=jsonable(dict(found)))

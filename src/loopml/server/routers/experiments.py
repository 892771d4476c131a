"""``/api/v1/experiments``: create, list, get, rename and delete experiments."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, Request

from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import name_or_id
from loopml.server.schemas.tracking import (
    CountOut,
    ExperimentCreate,
    ExperimentOut,
    ExperimentUpdate,
)

if TYPE_CHECKING:
    from loopml.client import Client

router = APIRouter(prefix="/api/v1/experiments", tags=["experiments"])


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _key(value: str) -> str | int:
    return name_or_id(value)


@router.get(
    "",
    response_model=list[ExperimentOut],
    dependencies=[Depends(requires("experiments:read"))],
    responses=error_responses(),
)
def list_experiments(request: Request, include_deleted: bool = False) -> list[ExperimentOut]:
    """List experiments by name."""
    found = _client(request).runs.list_experiments(include_deleted=include_deleted)
    return [ExperimentOut.model_validate(e) for e in found]


@router.post(
    "",
    response_model=ExperimentOut,
    status_code=201,
    dependencies=[Depends(requires("experiments:write"))],
    responses=error_responses(409),
)
def create_experiment(request: Request, body: ExperimentCreate) -> ExperimentOut:
    """Create an experiment (an existing name is a 409)."""
    created = _client(request).runs.create_experiment(body.name, body.description)
    return ExperimentOut.model_validate(created)


@router.get(
    "/{name_or_id}",
    response_model=ExperimentOut,
    dependencies=[Depends(requires("experiments:read"))],
    responses=error_responses(404),
)
def get_experiment(request: Request, name_or_id: str) -> ExperimentOut:
    """Return an experiment by name or numeric id."""
    return ExperimentOut.model_validate(_client(request).runs.get_experiment(_key(name_or_id)))


@router.get(
    "/{name_or_id}/count",
    response_model=CountOut,
    dependencies=[Depends(requires("experiments:read"))],
    responses=error_responses(404),
)
def count_runs(request: Request, name_or_id: str) -> CountOut:
    """Return how many (non-deleted) runs an experiment holds."""
    return CountOut(count=_client(request).runs.count_runs(_key(name_or_id)))


@router.patch(
    "/{name_or_id}",
    response_model=ExperimentOut,
    dependencies=[Depends(requires("experiments:write"))],
    responses=error_responses(404, 409),
)
def rename_experiment(request: Request, name_or_id: str, body: ExperimentUpdate) -> ExperimentOut:
    """Rename an experiment."""
    renamed = _client(request).runs.rename_experiment(_key(name_or_id), body.name)
    return ExperimentOut.model_validate(renamed)


@router.delete(
    "/{name_or_id}",
    response_model=ExperimentOut,
    dependencies=[Depends(requires("experiments:delete"))],
    responses=error_responses(404),
)
def delete_experiment(request: Request, name_or_id: str) -> ExperimentOut:
    """Mark an experiment deleted (its runs stay readable by id)."""
    deleted = _client(request).runs.delete_experiment(_key(name_or_id))
    return ExperimentOut.model_validate(deleted)

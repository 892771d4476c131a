"""``/api/v1/models``: the model registry (versions, aliases with history, tags)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request

from loopml.server.access import principal_name, requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import version_ref
from loopml.server.schemas.common import Deleted
from loopml.server.schemas.models import (
    AliasChangeOut,
    AliasSet,
    DescriptionUpdate,
    ModelRegister,
    ModelVersionOut,
    RegisteredModelOut,
    TagsSet,
)

if TYPE_CHECKING:
    from loopml.client import Client

router = APIRouter(prefix="/api/v1/models", tags=["models"])
READ = [Depends(requires("models:read"))]
WRITE = [Depends(requires("models:write"))]
PROMOTE = [Depends(requires("models:promote"))]
DELETE = [Depends(requires("models:delete"))]


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


@router.get(
    "", response_model=list[RegisteredModelOut], dependencies=READ, responses=error_responses()
)
def list_models(
    request: Request, name_contains: Annotated[str | None, Query(max_length=256)] = None
) -> list[RegisteredModelOut]:
    """List registered models by name."""
    found = _client(request).models.list_models(name_contains)
    return [RegisteredModelOut.model_validate(m) for m in found]


@router.get(
    "/{name}",
    response_model=RegisteredModelOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_model(request: Request, name: str) -> RegisteredModelOut:
    """Return a registered model with its aliases, tags and version count."""
    return RegisteredModelOut.model_validate(_client(request).models.get_registered_model(name))


@router.patch(
    "/{name}",
    response_model=RegisteredModelOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def update_model(request: Request, name: str, body: DescriptionUpdate) -> RegisteredModelOut:
    """Set the description of a registered model."""
    updated = _client(request).models.update_model(name, body.description)
    return RegisteredModelOut.model_validate(updated)


@router.put(
    "/{name}/tags",
    response_model=RegisteredModelOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def set_model_tags(request: Request, name: str, body: TagsSet) -> RegisteredModelOut:
    """Set tags on a registered model."""
    client = _client(request)
    client.models.set_model_tags(name, body.tags)
    return RegisteredModelOut.model_validate(client.models.get_registered_model(name))


@router.delete(
    "/{name}/tags/{key}", response_model=Deleted, dependencies=WRITE, responses=error_responses(404)
)
def delete_model_tag(request: Request, name: str, key: str) -> Deleted:
    """Delete a tag of a registered model."""
    _client(request).models.delete_model_tag(name, key)
    return Deleted()


@router.post(
    "/{name}/versions",
    response_model=ModelVersionOut,
    status_code=201,
    dependencies=WRITE,
    responses=error_responses(404, 409),
)
def register_model(request: Request, name: str, body: ModelRegister) -> ModelVersionOut:
    """Register the package at ``source`` as the next version of ``name``."""
    version = _client(request).models.register_model(
        body.source, name, body.description, body.tags, by=principal_name(request)
    )
    return ModelVersionOut.of(version)


@router.get(
    "/{name}/versions",
    response_model=list[ModelVersionOut],
    dependencies=READ,
    responses=error_responses(404),
)
def list_versions(request: Request, name: str) -> list[ModelVersionOut]:
    """List every version of a model, newest first."""
    return [ModelVersionOut.of(v) for v in _client(request).models.list_model_versions(name)]


@router.get(
    "/{name}/versions/{version}",
    response_model=ModelVersionOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_version(request: Request, name: str, version: str) -> ModelVersionOut:
    """Return a version by number, by alias, or ``latest``."""
    return ModelVersionOut.of(_client(request).models.get_model_version(name, version_ref(version)))


@router.patch(
    "/{name}/versions/{version}",
    response_model=ModelVersionOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def update_version(
    request: Request, name: str, version: str, body: DescriptionUpdate
) -> ModelVersionOut:
    """Set the description of one version."""
    updated = _client(request).models.update_model_version(
        name, version_ref(version), body.description
    )
    return ModelVersionOut.of(updated)


@router.put(
    "/{name}/versions/{version}/tags",
    response_model=ModelVersionOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def set_version_tags(request: Request, name: str, version: str, body: TagsSet) -> ModelVersionOut:
    """Set tags on one version."""
    client = _client(request)
    ref = version_ref(version)
    client.models.set_model_tags(name, body.tags, ref)
    return ModelVersionOut.of(client.models.get_model_version(name, ref))


@router.delete(
    "/{name}/versions/{version}/tags/{key}",
    response_model=Deleted,
    dependencies=WRITE,
    responses=error_responses(404),
)
def delete_version_tag(request: Request, name: str, version: str, key: str) -> Deleted:
    """Delete a tag of one version."""
    _client(request).models.delete_model_tag(name, key, version_ref(version))
    return Deleted()


@router.delete(
    "/{name}/versions/{version}",
    response_model=Deleted,
    dependencies=DELETE,
    responses=error_responses(404, 409),
)
def delete_version(request: Request, name: str, version: str) -> Deleted:
    """Delete a version no alias points at (its number is never reused)."""
    _client(request).models.delete_model_version(name, version_ref(version))
    return Deleted()


@router.put(
    "/{name}/aliases/{alias}",
    response_model=AliasChangeOut | None,
    dependencies=PROMOTE,
    responses=error_responses(404),
)
def set_alias(request: Request, name: str, alias: str, body: AliasSet) -> AliasChangeOut | None:
    """Point ``alias`` at a version (a promotion); ``null`` when it already pointed there."""
    change = _client(request).models.set_alias(
        name, alias, version_ref(body.version), reason=body.reason, by=principal_name(request)
    )
    return None if change is None else AliasChangeOut.model_validate(change)


@router.get(
    "/{name}/aliases/{alias}",
    response_model=ModelVersionOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_alias(request: Request, name: str, alias: str) -> ModelVersionOut:
    """Return the version an alias points at."""
    return ModelVersionOut.of(_client(request).models.get_model_version(name, alias))


@router.delete(
    "/{name}/aliases/{alias}",
    response_model=AliasChangeOut,
    dependencies=PROMOTE,
    responses=error_responses(404),
)
def delete_alias(
    request: Request,
    name: str,
    alias: str,
    reason: Annotated[str | None, Query(max_length=10_000)] = None,
) -> AliasChangeOut:
    """Remove an alias (kept in the history)."""
    change = _client(request).models.delete_alias(
        name, alias, reason=reason, by=principal_name(request)
    )
    return AliasChangeOut.model_validate(change)


@router.get(
    "/{name}/history",
    response_model=list[AliasChangeOut],
    dependencies=READ,
    responses=error_responses(404),
)
def alias_history(
    request: Request, name: str, alias: Annotated[str | None, Query(max_length=256)] = None
) -> list[AliasChangeOut]:
    """Return every alias change of a model (or of one alias), oldest first."""
    changes = _client(request).models.alias_history(name, alias)
    return [AliasChangeOut.model_validate(c) for c in changes]

"""``/api/2.0/mlflow/{registered-models,model-versions}``: MLflow's registry API."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Query, Request

from loopml.errors import InvalidFilter, NotFound
from loopml.models import external
from loopml.models.api import current_user
from loopml.models.packages import MANIFEST
from loopml.server.access import principal_name, requires
from loopml.server.errors import error_responses
from loopml.server.mlflow import convert, filters
from loopml.server.mlflow.messages import (
    CreateModelVersion,
    CreateRegisteredModel,
    DeleteAlias,
    DownloadUriOut,
    Empty,
    LatestVersions,
    ModelTag,
    ModelVersionOut,
    ModelVersionsOut,
    RegisteredModelOut,
    RegisteredModelsOut,
    SetAlias,
    UpdateModelVersion,
    UpdateRegisteredModel,
    VersionRef,
    VersionTag,
)
from loopml.server.mlflow.tracking import _offset, _token
from loopml.server.routers._shared import version_number, version_ref

if TYPE_CHECKING:
    from loopml.client import Client
    from loopml.models.entities import ModelVersion

router = APIRouter(prefix="/api/2.0/mlflow", tags=["mlflow"])
ERRORS = error_responses(400, 404, 409)
READ = [Depends(requires("models:read"))]
WRITE = [Depends(requires("models:write"))]
_RUNS_URI = re.compile(r"^runs:/([0-9a-f]{32})/?(.*)$")
_ARTIFACTS_URI = re.compile(r"^mlflow-artifacts:/+\d+/([0-9a-f]{32})/artifacts/?(.*)$")


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _by(request: Request) -> str:
    return principal_name(request) or current_user()


def _model_out(client: Client, name: str) -> RegisteredModelOut:
    model = client.models.get_registered_model(name)
    latest = client.models.list_model_versions(name)[:1]
    return RegisteredModelOut(registered_model=convert.registered_model(model, latest))


@router.post(
    "/registered-models/create",
    response_model=RegisteredModelOut,
    dependencies=WRITE,
    responses=ERRORS,
)
def create_registered_model(request: Request, body: CreateRegisteredModel) -> RegisteredModelOut:
    """Create a registered model with no versions."""
    client = _client(request)
    tags = {t.key: t.value for t in body.tags}
    external.create_model(
        client.store, body.name, by=_by(request), description=body.description, tags=tags
    )
    return _model_out(client, body.name)


@router.get(
    "/registered-models/get", response_model=RegisteredModelOut, dependencies=READ, responses=ERRORS
)
def get_registered_model(
    request: Request, name: Annotated[str, Query(max_length=256)]
) -> RegisteredModelOut:
    """Return a registered model."""
    return _model_out(_client(request), name)


@router.patch(
    "/registered-models/update",
    response_model=RegisteredModelOut,
    dependencies=WRITE,
    responses=ERRORS,
)
def update_registered_model(request: Request, body: UpdateRegisteredModel) -> RegisteredModelOut:
    """Set a registered model's description."""
    client = _client(request)
    client.models.update_model(body.name, body.description)
    return _model_out(client, body.name)


@router.get(
    "/registered-models/search",
    response_model=RegisteredModelsOut,
    dependencies=READ,
    responses=ERRORS,
)
def search_registered_models(
    request: Request,
    filter: Annotated[str | None, Query(max_length=10_000)] = None,
    max_results: Annotated[int, Query(ge=1, le=50_000)] = 100,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
) -> RegisteredModelsOut:
    """Search registered models by name (``name = 'x'`` or ``name LIKE 'x%'``)."""
    client = _client(request)
    models = [m for m in client.models.list_models() if filters.experiment_matches(filter, m.name)]
    offset = _offset(page_token)
    page = models[offset : offset + max_results]
    more = offset + max_results < len(models)
    return RegisteredModelsOut(
        registered_models=[convert.registered_model(m) for m in page],
        next_page_token=_token(offset + max_results) if more else None,
    )


@router.post(
    "/registered-models/get-latest-versions",
    response_model=ModelVersionsOut,
    dependencies=READ,
    responses=ERRORS,
)
def get_latest_versions(request: Request, body: LatestVersions) -> ModelVersionsOut:
    """Return the newest version (loopml has aliases instead of stages)."""
    latest = _client(request).models.list_model_versions(body.name)[:1]
    return ModelVersionsOut(model_versions=[convert.model_version(v) for v in latest])


@router.post(
    "/registered-models/set-tag", response_model=Empty, dependencies=WRITE, responses=ERRORS
)
def set_registered_model_tag(request: Request, body: ModelTag) -> Empty:
    """Set a tag on a registered model."""
    _client(request).models.set_model_tags(body.name, {body.key: body.value})
    return Empty()


@router.delete(
    "/registered-models/delete-tag", response_model=Empty, dependencies=WRITE, responses=ERRORS
)
def delete_registered_model_tag(request: Request, body: ModelTag) -> Empty:
    """Delete a tag of a registered model."""
    _client(request).models.delete_model_tag(body.name, body.key)
    return Empty()


@router.post(
    "/registered-models/alias",
    response_model=Empty,
    dependencies=[Depends(requires("models:promote"))],
    responses=ERRORS,
)
def set_alias(request: Request, body: SetAlias) -> Empty:
    """Point an alias at a version (recorded in the alias history)."""
    _client(request).models.set_alias(
        body.name, body.alias, version_ref(body.version), by=_by(request)
    )
    return Empty()


@router.delete(
    "/registered-models/alias",
    response_model=Empty,
    dependencies=[Depends(requires("models:promote"))],
    responses=ERRORS,
)
def delete_alias(request: Request, body: DeleteAlias) -> Empty:
    """Remove an alias (recorded in the alias history)."""
    _client(request).models.delete_alias(body.name, body.alias, by=_by(request))
    return Empty()


@router.get(
    "/registered-models/alias", response_model=ModelVersionOut, dependencies=READ, responses=ERRORS
)
def get_by_alias(
    request: Request,
    name: Annotated[str, Query(max_length=256)],
    alias: Annotated[str, Query(max_length=256)],
) -> ModelVersionOut:
    """Return the version an alias points at."""
    version = _client(request).models.get_model_version(name, alias)
    return ModelVersionOut(model_version=convert.model_version(version))


@router.post(
    "/model-versions/create", response_model=ModelVersionOut, dependencies=WRITE, responses=ERRORS
)
def create_model_version(request: Request, body: CreateModelVersion) -> ModelVersionOut:
    """Register a run's model folder (a loopml package or an MLflow model) as a version."""
    client = _client(request)
    run_id, folder = _source(body.source, body.run_id)
    tags = {t.key: t.value for t in body.tags}
    if run_id is not None and _is_package(client, run_id, folder):
        created = client.models.register_model(
            f"runs:/{run_id}/{folder}", body.name, body.description, tags, by=_by(request)
        )
    else:
        created = external.register_folder(
            client.store,
            body.name,
            run_id,
            folder,
            body.source,
            by=_by(request),
            description=body.description,
            tags=tags,
        )
    return ModelVersionOut(model_version=convert.model_version(created))


@router.get(
    "/model-versions/get", response_model=ModelVersionOut, dependencies=READ, responses=ERRORS
)
def get_model_version(
    request: Request,
    name: Annotated[str, Query(max_length=256)],
    version: Annotated[str, Query(max_length=32, pattern=r"^\d+$")],
) -> ModelVersionOut:
    """Return one version."""
    found = _client(request).models.get_model_version(name, _number(version))
    return ModelVersionOut(model_version=convert.model_version(found))


@router.patch(
    "/model-versions/update", response_model=ModelVersionOut, dependencies=WRITE, responses=ERRORS
)
def update_model_version(request: Request, body: UpdateModelVersion) -> ModelVersionOut:
    """Set a version's description."""
    updated = _client(request).models.update_model_version(
        body.name, _number(body.version), body.description
    )
    return ModelVersionOut(model_version=convert.model_version(updated))


@router.delete(
    "/model-versions/delete",
    response_model=Empty,
    dependencies=[Depends(requires("models:delete"))],
    responses=ERRORS,
)
def delete_model_version(request: Request, body: VersionRef) -> Empty:
    """Delete a version no alias points at."""
    _client(request).models.delete_model_version(body.name, _number(body.version))
    return Empty()


@router.post("/model-versions/set-tag", response_model=Empty, dependencies=WRITE, responses=ERRORS)
def set_model_version_tag(request: Request, body: VersionTag) -> Empty:
    """Set a tag on a version."""
    _client(request).models.set_model_tags(body.name, {body.key: body.value}, _number(body.version))
    return Empty()


@router.delete(
    "/model-versions/delete-tag", response_model=Empty, dependencies=WRITE, responses=ERRORS
)
def delete_model_version_tag(request: Request, body: VersionTag) -> Empty:
    """Delete a tag of a version."""
    _client(request).models.delete_model_tag(body.name, body.key, _number(body.version))
    return Empty()


@router.get(
    "/model-versions/search", response_model=ModelVersionsOut, dependencies=READ, responses=ERRORS
)
def search_model_versions(
    request: Request,
    filter: Annotated[str | None, Query(max_length=10_000)] = None,
    max_results: Annotated[int, Query(ge=1, le=200_000)] = 10_000,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
) -> ModelVersionsOut:
    """Search versions by ``name = 'x'`` and/or ``run_id = '...'`` (joined with AND)."""
    client = _client(request)
    wanted = _version_filter(filter)
    names = [wanted["name"]] if "name" in wanted else [m.name for m in client.models.list_models()]
    found: list[ModelVersion] = []
    for name in names:
        try:
            found.extend(client.models.list_model_versions(name))
        except NotFound:
            continue
    if "run_id" in wanted:
        found = [v for v in found if v.run_id == wanted["run_id"]]
    offset = _offset(page_token)
    page = found[offset : offset + max_results]
    more = offset + max_results < len(found)
    return ModelVersionsOut(
        model_versions=[convert.model_version(v) for v in page],
        next_page_token=_token(offset + max_results) if more else None,
    )


@router.get(
    "/model-versions/get-download-uri",
    response_model=DownloadUriOut,
    dependencies=READ,
    responses=ERRORS,
)
def get_download_uri(
    request: Request,
    name: Annotated[str, Query(max_length=256)],
    version: Annotated[str, Query(max_length=32, pattern=r"^\d+$")],
) -> DownloadUriOut:
    """Return where the version's files are (an ``mlflow-artifacts:`` URI)."""
    client = _client(request)
    found = client.models.get_model_version(name, _number(version))
    run_id, folder = _source(found.source, found.run_id)
    if run_id is None:
        return DownloadUriOut(artifact_uri=found.source)
    run = client.runs.get_run(run_id)
    root = convert.artifact_uri(run.experiment_id, run_id)
    return DownloadUriOut(artifact_uri=f"{root}/{folder}".rstrip("/"))


def _source(source: str, run_id: str | None) -> tuple[str | None, str]:
    for pattern in (_RUNS_URI, _ARTIFACTS_URI):
        match = pattern.match(source)
        if match:
            return match.group(1), match.group(2).strip("/")
    return run_id, ""


def _is_package(client: Client, run_id: str, folder: str) -> bool:
    path = f"{folder}/{MANIFEST}" if folder else MANIFEST
    return any(a.path == path for a in client.runs.list_artifacts(run_id, path))


def _number(version: str) -> int:
    return version_number(version)


_CLAUSE = re.compile(r"""^\s*(name|run_id)\s*=\s*(?:'([^']*)'|"([^"]*)")\s*$""", re.IGNORECASE)


def _version_filter(text: str | None) -> dict[str, str]:
    if not text or not text.strip():
        return {}
    wanted: dict[str, str] = {}
    for clause in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
        match = _CLAUSE.match(clause)
        if match is None:
            raise InvalidFilter(
                f"model version filter {text!r} is not supported; use name = 'x' and/or "
                "run_id = '<id>'"
            )
        wanted[match.group(1).lower()] = match.group(2) or match.group(3) or ""
    return wanted

"""``/api/v1/datasets``: dataset versions, their profiles, files and diffs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse

from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of, version_ref
from loopml.server.schemas.common import jsonable
from loopml.server.schemas.components import DatasetOut, DatasetVersionOut, DiffOut

router = APIRouter(prefix="/api/v1/datasets", tags=["datasets"])
READ = [Depends(requires("datasets:read"))]


@router.get("", response_model=list[DatasetOut], dependencies=READ, responses=error_responses())
def list_datasets(request: Request) -> list[DatasetOut]:
    """List datasets by name."""
    return [DatasetOut.of(d) for d in client_of(request).datasets.list_datasets()]


@router.get("/{name}", response_model=DatasetOut, dependencies=READ, responses=error_responses(404))
def get_dataset(request: Request, name: str) -> DatasetOut:
    """Return a dataset."""
    return DatasetOut.of(client_of(request).datasets.get_dataset(name))  # type: ignore[no-any-return]


@router.get(
    "/{name}/versions",
    response_model=list[DatasetVersionOut],
    dependencies=READ,
    responses=error_responses(404),
)
def list_versions(request: Request, name: str) -> list[DatasetVersionOut]:
    """List the versions of a dataset."""
    return [DatasetVersionOut.of(v) for v in client_of(request).datasets.list_versions(name)]


@router.get(
    "/{name}/versions/{version}",
    response_model=DatasetVersionOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_version(request: Request, name: str, version: str) -> DatasetVersionOut:
    """Return a version by number, ``latest`` or digest prefix, with its profile."""
    found = client_of(request).datasets.get_version(name, version_ref(version))
    return DatasetVersionOut.of(found)  # type: ignore[no-any-return]


@router.get(
    "/{name}/versions/{version}/file",
    response_class=FileResponse,
    dependencies=READ,
    responses={200: {"content": {"application/vnd.apache.parquet": {}}}, **error_responses(404)},
)
def download_version(request: Request, name: str, version: str) -> FileResponse:
    """Download a version's data as parquet."""
    datasets = client_of(request).datasets
    found = datasets.get_version(name, version_ref(version))
    path = datasets.dataset_path(found)
    return FileResponse(
        path,
        media_type="application/vnd.apache.parquet",
        filename=f"{name}-v{found.version}.parquet",
    )


@router.get(
    "/{name}/diff", response_model=DiffOut, dependencies=READ, responses=error_responses(404)
)
def diff_versions(
    request: Request,
    name: str,
    old: Annotated[str, Query(max_length=64, description="old version")],
    new: Annotated[str | None, Query(max_length=64, description="default: latest")] = None,
) -> DiffOut:
    """Compare two versions of a dataset (schema, rows, column statistics)."""
    datasets = client_of(request).datasets
    newer = None if new is None else f"{name}@{new}"
    diff = datasets.diff_versions(f"{name}@{old}", newer)
    return DiffOut(diff=jsonable(diff))

"""``/api/2.0/mlflow-artifacts/artifacts``: MLflow's artifact proxy over loopml run artifacts.

MLflow clients address a run's artifacts as ``<experiment id>/<run id>/artifacts/<path>``
(the run's ``mlflow-artifacts:`` URI); uploads become loopml artifacts of that run,
content-addressed in the artifact store, and downloads read them back.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse

from loopml.errors import ArtifactNotFound, InvalidInput
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.mlflow.messages import ArtifactFile, ArtifactFilesOut, Empty
from loopml.server.uploads import store_body
from loopml.tracking import records

if TYPE_CHECKING:
    from loopml.client import Client

router = APIRouter(prefix="/api/2.0/mlflow-artifacts", tags=["mlflow"])
ERRORS = error_responses(400, 404, 409)
_PATH = re.compile(r"^/*\d+/([0-9a-f]{32})/artifacts/?(.*)$")


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _split(path: str) -> tuple[str, str]:
    match = _PATH.match(path)
    if match is None:
        raise InvalidInput(
            f"artifact path {path!r} is not <experiment id>/<run id>/artifacts/<path>; "
            "this server stores artifacts of runs only"
        )
    return match.group(1), match.group(2).strip("/")


@router.get(
    "/artifacts",
    response_model=ArtifactFilesOut,
    dependencies=[Depends(requires("runs:read"))],
    responses=ERRORS,
)
def list_artifacts(
    request: Request, path: Annotated[str, Query(max_length=2048)] = ""
) -> ArtifactFilesOut:
    """List the files and folders directly under ``path``."""
    if not path.strip("/"):
        return ArtifactFilesOut()
    run_id, folder = _split(path)
    infos = _client(request).runs.list_artifacts(run_id, folder)
    entries: dict[str, ArtifactFile] = {}
    for info in infos:
        if folder and not info.path.startswith(folder + "/"):
            continue
        rest = info.path[len(folder) :].lstrip("/")
        head, _, tail = rest.partition("/")
        child = f"{folder}/{head}" if folder else head
        if tail:
            entries.setdefault(child, ArtifactFile(path=head, is_dir=True))
        else:
            entries[child] = ArtifactFile(path=head, is_dir=False, file_size=info.size)
    return ArtifactFilesOut(files=list(entries.values()))


@router.put(
    "/artifacts/{path:path}",
    response_model=Empty,
    dependencies=[Depends(requires("runs:write"))],
    responses=ERRORS,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/octet-stream": {"schema": {"type": "string", "format": "binary"}}
            },
        }
    },
)
async def upload_artifact(
    request: Request,
    path: str,
    content_type: Annotated[str, Header()] = "application/octet-stream",
) -> Empty:
    """Upload one file (streamed) as an artifact of the run the path names."""
    client = _client(request)
    run_id, target = _split(path)
    target = records.artifact_path(target)
    records.get_run(client.store, run_id)
    ref = await store_body(request, client.store, content_type.split(";")[0][:256])
    records.record_artifacts(client.store, run_id, [(target, ref)], require_running=False)
    return Empty()


@router.get(
    "/artifacts/{path:path}",
    response_class=FileResponse,
    dependencies=[Depends(requires("runs:read"))],
    responses={200: {"content": {"application/octet-stream": {}}}, **ERRORS},
)
def download_artifact(request: Request, path: str) -> FileResponse:
    """Download one artifact file."""
    client = _client(request)
    run_id, target = _split(path)
    match = [a for a in client.runs.list_artifacts(run_id, target) if a.path == target]
    if not match:
        raise ArtifactNotFound(f"run {run_id} has no artifact {target!r}")
    local = client.store.blobs.local_file(match[0].digest)
    return FileResponse(local, media_type=match[0].media_type, filename=os.path.basename(target))

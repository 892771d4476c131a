"""``/api/v1/blobs/{digest}``: content-addressed bytes (model package files for remote loads)."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import FileResponse

from loopml.errors import ArtifactNotFound
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of

router = APIRouter(prefix="/api/v1/blobs", tags=["runs"])


@router.get(
    "/{digest}",
    response_class=FileResponse,
    dependencies=[Depends(requires("runs:read"))],
    responses={200: {"content": {"application/octet-stream": {}}}, **error_responses(404)},
)
def get_blob(request: Request, digest: str = Path(pattern=r"^[0-9a-f]{64}$")) -> FileResponse:
    """Download a blob by its sha256 digest (verified before it is sent)."""
    store = client_of(request).store
    info = store.blob_info(digest)
    if info is None or not store.blobs.exists(digest):
        raise ArtifactNotFound(f"no blob {digest} in this store")
    return FileResponse(store.blobs.local_file(digest), media_type=info.media_type)

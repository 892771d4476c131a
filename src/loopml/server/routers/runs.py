"""``/api/v1/runs``: start, log to, end, search and read runs; histories and artifacts."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import FileResponse

from loopml.errors import InvalidInput
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import name_or_id
from loopml.server.schemas.common import Deleted
from loopml.server.schemas.tracking import (
    ArtifactOut,
    ArtifactRecord,
    CaptureIn,
    LogBatch,
    Logged,
    MetricOut,
    ResumedRun,
    RunCreate,
    RunEnd,
    RunOut,
    RunPageOut,
    RunSearch,
)
from loopml.server.uploads import store_body
from loopml.store import BlobRef
from loopml.tracking import capture as cap, records

if TYPE_CHECKING:
    from loopml.client import Client

router = APIRouter(prefix="/api/v1/runs", tags=["runs"])
READ = [Depends(requires("runs:read"))]
WRITE = [Depends(requires("runs:write"))]


def _client(request: Request) -> Client:
    client: Client = request.app.state.client
    return client


def _run(client: Client, run_id: str) -> RunOut:
    return RunOut.model_validate(client.runs.get_run(run_id))


@router.post(
    "",
    response_model=RunOut,
    status_code=201,
    dependencies=WRITE,
    responses=error_responses(404),
)
def create_run(request: Request, body: RunCreate) -> RunOut:
    """Start a run (RUNNING) in an experiment (created if missing), with params and tags."""
    client = _client(request)
    new = records.NewRun(
        experiment=body.experiment,
        name=body.name,
        user=body.user or "unknown",
        parent_id=body.parent_id,
        pipeline_run_id=body.pipeline_run_id,
        step_name=body.step_name,
        source=body.source,
        start_time=body.start_time,
        seed=body.seed,
    )
    run_id = records.create_run(client.store, new, client.runs.default_experiment)
    if body.params or body.tags:
        records.log_batch(client.store, run_id, (), body.params, body.tags)
    return _run(client, run_id)


@router.post(
    "/search",
    response_model=RunPageOut,
    dependencies=READ,
    responses=error_responses(404),
)
def search_runs(request: Request, body: RunSearch) -> RunPageOut:
    """Search runs with the filter language; page with ``next_page_token``."""
    experiments = None if body.experiments is None else [_key(e) for e in body.experiments]
    page = _client(request).runs.search_runs(
        experiments,
        body.filter,
        body.order_by,
        body.limit,
        body.page_token,
        output="list",
        include_deleted=body.include_deleted,
    )
    return RunPageOut(
        runs=[RunOut.model_validate(r) for r in page], next_page_token=page.next_page_token
    )


@router.get(
    "",
    response_model=RunPageOut,
    dependencies=READ,
    responses=error_responses(404),
)
def list_runs(
    request: Request,
    experiment: Annotated[list[str] | None, Query()] = None,
    filter: Annotated[str | None, Query(max_length=10_000)] = None,
    order_by: Annotated[list[str] | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=50_000)] = 100,
    page_token: Annotated[str | None, Query(max_length=1000)] = None,
) -> RunPageOut:
    """Search runs through query parameters (the GET twin of ``POST /runs/search``)."""
    body = RunSearch(
        experiments=list(experiment) if experiment else None,
        filter=filter,
        order_by=order_by,
        limit=limit,
        page_token=page_token,
    )
    return search_runs(request, body)


@router.get("/{run_id}", response_model=RunOut, dependencies=READ, responses=error_responses(404))
def get_run(request: Request, run_id: str) -> RunOut:
    """Return a run with its params, latest metrics and tags."""
    return _run(_client(request), run_id)


@router.post(
    "/{run_id}/log-batch",
    response_model=Logged,
    dependencies=WRITE,
    responses=error_responses(404, 409),
)
def log_batch(request: Request, run_id: str, body: LogBatch) -> Logged:
    """Write metric points, params and tags in one transaction (the run must be RUNNING)."""
    points = [(m.key, m.value, m.step, m.timestamp) for m in body.metrics]
    records.log_batch(_client(request).store, run_id, points, body.params, body.tags)
    return Logged(metrics=len(points), params=len(body.params), tags=len(body.tags))


@router.post(
    "/{run_id}/end",
    response_model=RunOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def end_run(request: Request, run_id: str, body: RunEnd) -> RunOut:
    """End a run FINISHED, FAILED or KILLED."""
    client = _client(request)
    records.update_run(
        client.store, run_id, status=body.status, end_time=body.end_time, error=body.error
    )
    return _run(client, run_id)


@router.post(
    "/{run_id}/resume",
    response_model=ResumedRun,
    dependencies=WRITE,
    responses=error_responses(404),
)
def resume_run(request: Request, run_id: str) -> ResumedRun:
    """Set a run RUNNING again; returns its params and the next step of each metric."""
    client = _client(request)
    records.update_run(client.store, run_id, status="RUNNING")
    params, steps = records.resume_state(client.store, run_id)
    return ResumedRun(run=_run(client, run_id), params=params, next_steps=steps)


@router.delete(
    "/{run_id}",
    response_model=Deleted,
    dependencies=[Depends(requires("runs:delete"))],
    responses=error_responses(404),
)
def delete_run(request: Request, run_id: str, purge: bool = False) -> Deleted:
    """Hide a run from searches; ``purge=true`` deletes it and its data for good."""
    _client(request).runs.delete_run(run_id, purge=purge)
    return Deleted()


@router.post(
    "/{run_id}/restore",
    response_model=RunOut,
    dependencies=[Depends(requires("runs:delete"))],
    responses=error_responses(404),
)
def restore_run(request: Request, run_id: str) -> RunOut:
    """Bring back a deleted (not purged) run."""
    client = _client(request)
    client.runs.restore_run(run_id)
    return _run(client, run_id)


@router.get(
    "/{run_id}/metrics/{key:path}",
    response_model=list[MetricOut],
    dependencies=READ,
    responses=error_responses(404),
)
def metric_history(request: Request, run_id: str, key: str) -> list[MetricOut]:
    """Return every point of one metric, by step."""
    points = _client(request).runs.get_metric_history(run_id, key, output="list")
    return [MetricOut.model_validate(p) for p in points]


@router.get(
    "/{run_id}/artifacts",
    response_model=list[ArtifactOut],
    dependencies=READ,
    responses=error_responses(404),
)
def list_artifacts(request: Request, run_id: str, prefix: str = "") -> list[ArtifactOut]:
    """List a run's artifacts (optionally those under ``prefix``)."""
    found = _client(request).runs.list_artifacts(run_id, prefix)
    return [ArtifactOut.model_validate(a) for a in found]


@router.post(
    "/{run_id}/artifacts",
    response_model=list[ArtifactOut],
    status_code=201,
    dependencies=WRITE,
    responses=error_responses(404, 409),
)
def record_artifacts(
    request: Request, run_id: str, body: list[ArtifactRecord]
) -> list[ArtifactOut]:
    """Record blobs a client wrote straight to the artifact store as artifacts of a run."""
    store = _client(request).store
    entries = []
    for item in body:
        ref = store.blob_info(item.digest)
        if ref is None:
            if not store.blobs.exists(item.digest):
                raise_missing(item.digest)
            ref = BlobRef(item.digest, item.size, item.media_type)
        entries.append((item.path, ref))
    infos = records.record_artifacts(store, run_id, entries, require_running=True)
    return [ArtifactOut.model_validate(i) for i in infos]


@router.put(
    "/{run_id}/artifacts/{path:path}",
    response_model=ArtifactOut,
    status_code=201,
    dependencies=WRITE,
    responses=error_responses(404, 409),
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
    run_id: str,
    path: str,
    content_type: Annotated[str, Header()] = "application/octet-stream",
) -> ArtifactOut:
    """Upload one artifact file (the body, streamed) to ``path`` in the run."""
    client = _client(request)
    target = records.artifact_path(path)
    records.get_run(client.store, run_id)
    ref = await store_body(request, client.store, content_type.split(";")[0][:256])
    infos = records.record_artifacts(client.store, run_id, [(target, ref)], require_running=True)
    return ArtifactOut.model_validate(infos[0])


@router.get(
    "/{run_id}/artifacts/{path:path}",
    response_class=FileResponse,
    dependencies=READ,
    responses={
        200: {"content": {"application/octet-stream": {}}, "description": "The artifact"},
        **error_responses(404),
    },
)
def download_artifact(request: Request, run_id: str, path: str) -> FileResponse:
    """Download one artifact's bytes."""
    client = _client(request)
    info = client.runs.list_artifacts(run_id, path)
    match = [i for i in info if i.path == path.strip("/")]
    if not match:
        client.runs.load_artifact(run_id, path)  # raises ArtifactNotFound with the listing
    artifact = match[0]
    local = client.store.blobs.local_file(artifact.digest)
    return FileResponse(
        local, media_type=artifact.media_type, filename=os.path.basename(artifact.path)
    )


@router.post(
    "/{run_id}/capture",
    response_model=RunOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def record_capture(request: Request, run_id: str, body: CaptureIn) -> RunOut:
    """Record the git state and environment a remote client captured for its run."""
    client = _client(request)
    records.get_run(client.store, run_id)
    git = cap.GitState(
        body.git.commit, body.git.branch, body.git.dirty, body.git.diff.encode(), body.git.root,
        tuple(body.git.skipped_untracked),
    )  # fmt: skip
    env = body.environment
    environment = cap.Environment(
        env.python_version, env.platform, env.executable, tuple(env.packages), dict(env.details)
    )
    records.record_capture(client.store, run_id, cap.Capture(git, environment))
    return _run(client, run_id)


def raise_missing(digest: str) -> None:
    """Refuse to record a blob the artifact store does not hold."""
    raise InvalidInput(
        f"blob {digest} is not in the artifact store; upload it first (PUT the file to "
        "/api/v1/runs/{run_id}/artifacts/{path}) or write it to the store"
    )


def _key(value: str | int) -> str | int:
    return name_or_id(value)

"""``/api/v1/pipelines`` and ``/api/v1/pipeline-runs``: pipelines, runs, steps, logs."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from loopml.server.access import principal_name, requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of
from loopml.server.schemas.components import (
    PipelineOut,
    PipelineRunOut,
    PipelineTrigger,
    StepRunOut,
    TextOut,
)

router = APIRouter(prefix="/api/v1", tags=["pipelines"])
READ = [Depends(requires("pipelines:read"))]
WRITE = [Depends(requires("pipelines:write"))]


@router.get(
    "/pipelines", response_model=list[PipelineOut], dependencies=READ, responses=error_responses()
)
def list_pipelines(request: Request) -> list[PipelineOut]:
    """List registered pipelines."""
    return [PipelineOut.of(p) for p in client_of(request).pipelines.list_pipelines()]


@router.get(
    "/pipelines/{name}",
    response_model=PipelineOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_pipeline(request: Request, name: str) -> PipelineOut:
    """Return a registered pipeline with its schedule and graph."""
    return PipelineOut.of(client_of(request).pipelines.get_pipeline(name))  # type: ignore[no-any-return]


@router.post(
    "/pipelines/{name}/runs",
    response_model=PipelineRunOut,
    status_code=202,
    dependencies=WRITE,
    responses=error_responses(404),
)
def trigger_pipeline(request: Request, name: str, body: PipelineTrigger) -> PipelineRunOut:
    """Queue a run of a registered pipeline; the server's scheduler starts it."""
    client_of(request).pipelines.get_pipeline(name)  # only registered pipelines, never imports
    who = principal_name(request)
    reason = body.reason or (f"requested by {who}" if who else "requested over REST")
    info = client_of(request).pipelines.trigger(name, body.params, reason=reason, source="rest")
    return PipelineRunOut.of(info)  # type: ignore[no-any-return]


@router.get(
    "/pipeline-runs",
    response_model=list[PipelineRunOut],
    dependencies=READ,
    responses=error_responses(),
)
def list_runs(
    request: Request,
    pipeline: Annotated[str | None, Query(max_length=256)] = None,
    status: Annotated[str | None, Query(max_length=32)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 50,
) -> list[PipelineRunOut]:
    """List pipeline runs, newest first."""
    found = client_of(request).pipelines.list_runs(pipeline, status, limit)
    return [PipelineRunOut.of(r) for r in found]


@router.get(
    "/pipeline-runs/{run_id}",
    response_model=PipelineRunOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_run(request: Request, run_id: str) -> PipelineRunOut:
    """Return a pipeline run (id or unique prefix) with its steps."""
    return PipelineRunOut.of(client_of(request).pipelines.get_run(run_id))  # type: ignore[no-any-return]


@router.post(
    "/pipeline-runs/{run_id}/cancel",
    response_model=PipelineRunOut,
    dependencies=WRITE,
    responses=error_responses(404, 409),
)
def cancel_run(request: Request, run_id: str, force: bool = False) -> PipelineRunOut:
    """Ask a queued or running pipeline run to stop."""
    return PipelineRunOut.of(client_of(request).pipelines.cancel(run_id, force=force))  # type: ignore[no-any-return]


@router.get(
    "/pipeline-runs/{run_id}/steps/{step}",
    response_model=StepRunOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_step(request: Request, run_id: str, step: str) -> StepRunOut:
    """Return one step of a run: status, attempts, cache decision, inputs and outputs."""
    return StepRunOut.of(client_of(request).pipelines.step(run_id, step))  # type: ignore[no-any-return]


@router.get(
    "/pipeline-runs/{run_id}/steps/{step}/logs",
    response_model=TextOut,
    dependencies=READ,
    responses=error_responses(404),
)
def step_logs(request: Request, run_id: str, step: str) -> TextOut:
    """Return what a step printed and logged."""
    return TextOut(text=client_of(request).pipelines.logs(run_id, step))


@router.get(
    "/pipeline-runs/{run_id}/graph",
    response_model=TextOut,
    dependencies=READ,
    responses=error_responses(404),
)
def run_graph(
    request: Request, run_id: str, format: Literal["text", "mermaid"] = "text"
) -> TextOut:
    """Render a run's DAG with step statuses (text or Mermaid)."""
    pipelines = client_of(request).pipelines
    info = pipelines.get_run(run_id)  # a recorded run only: never import a definition
    return TextOut(text=pipelines.graph(info.id, format))

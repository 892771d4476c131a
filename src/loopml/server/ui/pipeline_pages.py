"""Pipelines: their runs, a run's DAG with step status and cache hits, and step logs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response  # noqa: TC002 - FastAPI reads the annotation

from loopml.auth import Principal
from loopml.server.ui import dag
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
PipelinesRead = Annotated[Principal, Depends(permit("pipelines:read"))]
RECENT_RUNS = 50
LOG_BYTES = 200_000


@router.get("/pipelines")
def pipelines(request: Request, principal: PipelinesRead, pipeline: str | None = None) -> Response:
    """Registered pipelines and their recent runs."""
    api = client_of(request).pipelines
    context = {
        "active": "pipelines",
        "pipelines": api.list_pipelines(),
        "runs": api.list_runs(pipeline or None, limit=RECENT_RUNS),
        "pipeline": pipeline or "",
    }
    return render(request, "pipelines.html", context, principal=principal)


@router.get("/pipelines/runs/{run_id}")
def pipeline_run(request: Request, run_id: str, principal: PipelinesRead) -> Response:
    """One pipeline run: the DAG coloured by step status, cache hits, attempts, errors."""
    info = client_of(request).pipelines.get_run(run_id)
    upstream = {s.name: tuple(s.upstream) for s in info.steps}
    status = {s.name: "cached" if s.cached_from else s.status.lower() for s in info.steps}
    context = {
        "active": "pipelines",
        "run": info,
        "layout": dag.layout(upstream, status),
        "node": (dag.NODE_W, dag.NODE_H),
        "cache_hits": sum(1 for s in info.steps if s.cached_from),
    }
    return render(request, "pipeline_run.html", context, principal=principal)


@router.get("/pipelines/runs/{run_id}/logs/{step}")
def step_logs(request: Request, run_id: str, step: str, principal: PipelinesRead) -> Response:
    """The logs of one step (an htmx fragment)."""
    text = client_of(request).pipelines.logs(run_id, step)
    context = {"step": step, "text": text[-LOG_BYTES:], "truncated": len(text) > LOG_BYTES}
    return render(request, "_logs.html", context, principal=principal)

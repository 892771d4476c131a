"""``/api/v1/loops``: closed loops, their runs and events; the HTTP trigger."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from pydantic import Field

from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of
from loopml.server.schemas.common import Model, jsonable

router = APIRouter(prefix="/api/v1/loops", tags=["loops"])
READ = [Depends(requires("loops:read"))]
WRITE = [Depends(requires("loops:write"))]


class LoopOut(Model):
    """A stored loop: its definition (``spec``), whether it is paused, trigger cursors."""

    name: str
    paused: bool
    spec: dict[str, Any]
    cursors: dict[str, Any]
    created_at: int
    updated_at: int


class LoopRunOut(Model):
    """One run of a loop: why it fired, its state, what it decided."""

    id: str
    loop: str
    status: str
    cause: dict[str, Any]
    created_at: int
    updated_at: int
    ended_at: int | None = None
    champion_version: int | None = None
    challenger_version: int | None = None
    dataset: str | None = None
    pipeline_run_id: str | None = None
    verdict_id: int | None = None
    state: dict[str, Any] = Field(default_factory=dict)
    error: str | None = None


class LoopEventOut(Model):
    """One entry of a loop's event log."""

    id: int
    loop: str
    run_id: str | None
    kind: str
    at: int
    message: str
    detail: dict[str, Any] = Field(default_factory=dict)


class TriggerIn(Model):
    """The body of a manual trigger."""

    reason: str | None = Field(default=None, max_length=1000)


def _loop(info: Any) -> LoopOut:
    return LoopOut.model_validate(jsonable(info.to_dict()))


def _run(run: Any) -> LoopRunOut:
    return LoopRunOut.model_validate(jsonable(run.to_dict()))


@router.get("", response_model=list[LoopOut], dependencies=READ, responses=error_responses())
def list_loops(request: Request) -> list[LoopOut]:
    """List loops."""
    return [_loop(info) for info in client_of(request).loops.list()]


@router.get("/{name}", response_model=LoopOut, dependencies=READ, responses=error_responses(404))
def get_loop(request: Request, name: str) -> LoopOut:
    """Return a loop."""
    return _loop(client_of(request).loops.get(name))


@router.get(
    "/{name}/runs",
    response_model=list[LoopRunOut],
    dependencies=READ,
    responses=error_responses(404),
)
def loop_runs(
    request: Request, name: str, limit: Annotated[int, Query(ge=1, le=1000)] = 50
) -> list[LoopRunOut]:
    """Return a loop's runs, newest first."""
    return [_run(run) for run in client_of(request).loops.runs(name, limit=limit)]


@router.get(
    "/{name}/events",
    response_model=list[LoopEventOut],
    dependencies=READ,
    responses=error_responses(404),
)
def loop_events(
    request: Request, name: str, limit: Annotated[int, Query(ge=1, le=1000)] = 100
) -> list[LoopEventOut]:
    """Return a loop's events (firings, state changes, decisions), oldest first."""
    loops = client_of(request).loops
    loops.get(name)
    return [
        LoopEventOut.model_validate(jsonable(e.to_dict())) for e in loops.events(name, limit=limit)
    ]


@router.post(
    "/{name}/trigger",
    response_model=LoopRunOut,
    dependencies=WRITE,
    responses=error_responses(404, 409, 422),
)
def trigger_loop(request: Request, name: str, body: TriggerIn | None = None) -> LoopRunOut:
    """Queue a run of the loop now (the scheduler runs it); 409 while one is in flight."""
    payload = {} if body is None or body.reason is None else {"reason": body.reason}
    return LoopRunOut.model_validate(jsonable(client_of(request).loops.http_trigger(name, payload)))


@router.post(
    "/{name}/pause", response_model=LoopOut, dependencies=WRITE, responses=error_responses(404)
)
def pause_loop(request: Request, name: str) -> LoopOut:
    """Stop a loop from firing (a run in flight finishes)."""
    loops = client_of(request).loops
    loops.pause(name)
    return _loop(loops.get(name))


@router.post(
    "/{name}/resume", response_model=LoopOut, dependencies=WRITE, responses=error_responses(404)
)
def resume_loop(request: Request, name: str) -> LoopOut:
    """Let a paused loop fire again."""
    loops = client_of(request).loops
    loops.resume(name)
    return _loop(loops.get(name))

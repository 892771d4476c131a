"""``/api/v1/monitors`` and ``/api/v1/alerts``: monitors, window results, alerts, feedback."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request

from loopml.errors import InvalidInput
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of
from loopml.server.schemas.common import Deleted
from loopml.server.schemas.components import (
    AlertEventOut,
    AlertOut,
    Feedback,
    FeedbackOut,
    MonitorOut,
    MonitorRun,
    WindowResultOut,
)

router = APIRouter(prefix="/api/v1", tags=["monitors"])
READ = [Depends(requires("monitors:read"))]
WRITE = [Depends(requires("monitors:write"))]


@router.get(
    "/monitors", response_model=list[MonitorOut], dependencies=READ, responses=error_responses()
)
def list_monitors(request: Request) -> list[MonitorOut]:
    """List monitors."""
    return [MonitorOut.of(m) for m in client_of(request).monitors.list()]


@router.get(
    "/monitors/{name}",
    response_model=MonitorOut,
    dependencies=READ,
    responses=error_responses(404),
)
def get_monitor(request: Request, name: str) -> MonitorOut:
    """Return a monitor."""
    return MonitorOut.of(client_of(request).monitors.get(name))  # type: ignore[no-any-return]


@router.delete(
    "/monitors/{name}",
    response_model=Deleted,
    dependencies=[Depends(requires("monitors:delete"))],
    responses=error_responses(404),
)
def delete_monitor(request: Request, name: str) -> Deleted:
    """Delete a monitor."""
    client_of(request).monitors.delete(name)
    return Deleted()


@router.post(
    "/monitors/{name}/pause",
    response_model=MonitorOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def pause_monitor(request: Request, name: str) -> MonitorOut:
    """Pause a monitor's schedule."""
    monitors = client_of(request).monitors
    monitors.pause(name)
    return MonitorOut.of(monitors.get(name))  # type: ignore[no-any-return]


@router.post(
    "/monitors/{name}/resume",
    response_model=MonitorOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def resume_monitor(request: Request, name: str) -> MonitorOut:
    """Resume a monitor's schedule."""
    monitors = client_of(request).monitors
    monitors.resume(name)
    return MonitorOut.of(monitors.get(name))  # type: ignore[no-any-return]


@router.post(
    "/monitors/{name}/runs",
    response_model=WindowResultOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def run_monitor(request: Request, name: str, body: MonitorRun) -> WindowResultOut:
    """Evaluate the window ending at ``window_end`` (default now); store and return it."""
    at = None if body.window_end is None else _parse_time(body.window_end)
    return WindowResultOut.of(client_of(request).monitors.run(name, at=at))  # type: ignore[no-any-return]


@router.get(
    "/monitors/{name}/results",
    response_model=list[WindowResultOut],
    dependencies=READ,
    responses=error_responses(404),
)
def monitor_results(
    request: Request,
    name: str,
    since: Annotated[int | None, Query(ge=0, lt=2**63, description="epoch ms")] = None,
    until: Annotated[int | None, Query(ge=0, lt=2**63, description="epoch ms")] = None,
    limit: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> list[WindowResultOut]:
    """Return a monitor's window results, oldest first."""
    found = client_of(request).monitors.results(name, since=since, until=until, limit=limit)
    return [WindowResultOut.of(r) for r in found]


@router.get(
    "/alerts", response_model=list[AlertOut], dependencies=READ, responses=error_responses()
)
def list_alerts(
    request: Request,
    monitor: Annotated[str | None, Query(max_length=256)] = None,
    status: Literal["open", "resolved", "all"] = "open",
) -> list[AlertOut]:
    """Return alerts (default: the open ones), newest first."""
    found = client_of(request).monitors.alerts(monitor, status=None if status == "all" else status)
    return [AlertOut.of(a) for a in found]


@router.get(
    "/alerts/events",
    response_model=list[AlertEventOut],
    dependencies=READ,
    responses=error_responses(),
)
def alert_events(
    request: Request,
    after: Annotated[int, Query(ge=0, lt=2**63)] = 0,
    monitor: Annotated[str | None, Query(max_length=256)] = None,
    limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
) -> list[AlertEventOut]:
    """Return alert events with ``id > after``, oldest first (poll with the last id)."""
    found = client_of(request).monitors.alert_events(after=after, monitor=monitor, limit=limit)
    return [AlertEventOut.of(e) for e in found]


@router.post(
    "/feedback",
    response_model=FeedbackOut,
    dependencies=WRITE,
    responses=error_responses(404),
)
def log_feedback(request: Request, body: Feedback) -> FeedbackOut:
    """Record the true outcome of one prediction (the latest label per id wins)."""
    result = client_of(request).monitors.log_feedback(
        body.prediction_id, body.label, deployment=body.deployment, time=body.time
    )
    return FeedbackOut.of(result)  # type: ignore[no-any-return]


def _parse_time(text: str) -> dt.datetime:
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError as err:
        raise InvalidInput(
            f"window_end {text!r} is not an ISO time such as 2026-01-31T12:00"
        ) from err
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)

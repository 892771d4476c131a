"""``/api/v1/deployments``: what model servers logged (predictions) and live performance."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Query, Request

from loopml import _registry
from loopml.server.access import requires
from loopml.server.errors import error_responses
from loopml.server.routers._shared import client_of
from loopml.server.schemas.components import RowsOut

if TYPE_CHECKING:
    import pandas as pd

router = APIRouter(prefix="/api/v1/deployments", tags=["deployments"])
READ = [Depends(requires("deployments:read"))]
LIST_DEPLOYMENTS = "loopml.store.predlog.feedback:list_deployments"


@router.get("", response_model=list[str], dependencies=READ, responses=error_responses())
def list_all(request: Request) -> list[str]:
    """List deployments that have a prediction log."""
    # Loaded on first use: monitoring pulls in pandas and SciPy, which the server's
    # start-up should not wait for.
    list_deployments = _registry.import_target(LIST_DEPLOYMENTS)
    return sorted(list_deployments(client_of(request).monitors.log))


@router.get(
    "/{name}/predictions",
    response_model=RowsOut,
    dependencies=READ,
    responses=error_responses(404),
)
def predictions(
    request: Request,
    name: str,
    since: Annotated[str | None, Query(max_length=64, examples=["1h"])] = None,
    until: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=100_000)] = 1000,
    with_feedback: bool = False,
) -> RowsOut:
    """Return the newest logged predictions of a deployment (``since=1h`` works)."""
    frame = client_of(request).serving.predictions(
        name, since, until, limit=limit, with_feedback=with_feedback
    )
    return RowsOut(rows=_rows(frame))


@router.get(
    "/{name}/performance",
    response_model=RowsOut,
    dependencies=READ,
    responses=error_responses(404),
)
def performance(request: Request, name: str) -> RowsOut:
    """Return live performance per model version from labelled predictions."""
    frame = client_of(request).monitors.performance(name)
    return RowsOut(rows=_rows(frame.reset_index() if frame.index.name else frame))


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    # pandas writes NaN as null, timestamps as ISO text and numpy values as JSON numbers.
    rows: list[dict[str, Any]] = json.loads(frame.to_json(orient="records", date_format="iso"))
    return rows

"""The closed loop: loops, their firings (loop runs) and events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response  # noqa: TC002 - FastAPI reads the annotation

from loopml.auth import Principal
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
LoopsRead = Annotated[Principal, Depends(permit("loops:read"))]
RECENT = 50


@router.get("/loops")
def loops(request: Request, principal: LoopsRead, loop: str | None = None) -> Response:
    """Loops, their recent firings (trigger, champion and challenger, verdict) and events."""
    api = client_of(request).loops
    context = {
        "active": "loops",
        "loops": api.list(),
        "runs": api.runs(loop or None, limit=RECENT),
        "events": list(reversed(api.events(loop or None, limit=RECENT * 4)))[: RECENT * 2],
        "loop": loop or "",
    }
    return render(request, "loops.html", context, principal=principal)

"""The audit log page (who changed what, when, from where)."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response  # noqa: TC002 - FastAPI reads the annotation

from loopml.auth import Principal
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
AuditRead = Annotated[Principal, Depends(permit("audit:read"))]
PAGE_SIZE = 100


@router.get("/audit")
def audit(
    request: Request,
    principal: AuditRead,
    who: Annotated[str | None, Query(alias="principal")] = None,
    action: str | None = None,
    failed: bool = False,
    before: Annotated[int | None, Query(ge=0, lt=2**63)] = None,
) -> Response:
    """The audit log, newest first, filtered by user, action and outcome."""
    who = who or None
    entries = client_of(request).auth.audit_log(
        principal=who,
        action=action or None,
        failed_only=failed,
        limit=PAGE_SIZE,
        before_id=before,
    )
    next_link = None
    if len(entries) == PAGE_SIZE:
        params = [(k, v) for k, v in request.query_params.multi_items() if k != "before"]
        next_link = "/ui/audit?" + urlencode([*params, ("before", str(entries[-1].id))])
    context = {
        "active": "audit",
        "entries": entries,
        "principal_filter": who or "",
        "action": action or "",
        "failed": failed,
        "next_link": next_link,
    }
    return render(request, "audit.html", context, principal=principal)

"""Registered models: versions, aliases, alias history and gate verdicts."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response  # noqa: TC002 - FastAPI reads the annotation

from loopml.auth import Principal
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

router = APIRouter(prefix="/ui", include_in_schema=False)
ModelsRead = Annotated[Principal, Depends(permit("models:read"))]
GATE_TAG_PREFIXES = ("gate.", "gate:", "loopml.gate.", "ci.gate.")


@router.get("/models")
def models(request: Request, principal: ModelsRead, q: str | None = None) -> Response:
    """List registered models with their latest version and aliases."""
    found = client_of(request).models.list_models(q or None)
    context = {"active": "models", "models": found, "q": q or ""}
    return render(request, "models.html", context, principal=principal)


@router.get("/models/{name}")
def model(request: Request, name: str, principal: ModelsRead) -> Response:
    """One model: versions, aliases, the alias history and gate verdicts."""
    registry = client_of(request).models
    found = registry.get_registered_model(name)
    versions = sorted(registry.list_model_versions(name), key=lambda v: -v.version)
    gates = {
        v.version: {k: t for k, t in v.tags.items() if k.startswith(GATE_TAG_PREFIXES)}
        for v in versions
    }
    metric_keys = sorted({k for v in versions for k in v.metrics})[:8]
    context = {
        "active": "models",
        "model": found,
        "versions": versions,
        "history": registry.alias_history(name),
        "gates": gates,
        "metric_keys": metric_keys,
    }
    return render(request, "model.html", context, principal=principal)

"""Every router of ``loopml.server.mlflow``, in the order the app mounts them."""

from __future__ import annotations

from loopml.server.mlflow import artifacts, registry, tracking

ROUTERS = (tracking.router, registry.router, artifacts.router)

"""MLflow REST compatibility: what the ``mlflow`` client calls, served from loopml's store."""

from __future__ import annotations

from loopml.server.mlflow import artifacts, registry, tracking

ROUTERS = (tracking.router, registry.router, artifacts.router)

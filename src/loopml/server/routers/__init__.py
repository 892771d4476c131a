"""REST routers, one per component, all under ``/api/v1``."""

from __future__ import annotations

from loopml.server.routers import experiments, models, runs

ROUTERS = (experiments.router, runs.router, models.router)

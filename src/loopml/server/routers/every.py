"""Every router of ``loopml.server.routers``, in the order the app mounts them."""

from __future__ import annotations

from loopml.server.routers import (
    blobs,
    datasets,
    deployments,
    experiments,
    features,
    loops,
    models,
    monitors,
    pipelines,
    runs,
)

ROUTERS = (
    experiments.router,
    runs.router,
    models.router,
    datasets.router,
    pipelines.router,
    features.router,
    monitors.router,
    deployments.router,
    loops.router,
    blobs.router,
)

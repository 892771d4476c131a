"""Experiment tracking: experiments, runs, params, metrics, tags, artifacts, search.

Every run records its git commit, branch, dirty flag and diff, Python version, platform,
installed packages and seed on its own (see :mod:`loopml.tracking.capture`).
"""

from __future__ import annotations

from loopml.tracking.api import RunPage, Tracking, seed_everything
from loopml.tracking.buffer import flush_all
from loopml.tracking.entities import ArtifactInfo, Experiment, Metric, RunInfo
from loopml.tracking.heartbeat import HeartbeatSettings
from loopml.tracking.run import Run, active_run
from loopml.tracking.search import parse_filter, parse_order_by

__all__ = [
    "ArtifactInfo",
    "Experiment",
    "HeartbeatSettings",
    "Metric",
    "Run",
    "RunInfo",
    "RunPage",
    "Tracking",
    "active_run",
    "flush_all",
    "parse_filter",
    "parse_order_by",
    "seed_everything",
]

"""Experiment tracking: experiments, runs, params, metrics, tags, artifacts, search.

Every run records its git commit, branch, dirty flag and diff, Python version, platform,
installed packages and seed on its own (see :mod:`loopml.tracking.capture`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.tracking.api import (
        RunPage as RunPage,
        Tracking as Tracking,
        seed_everything as seed_everything,
    )
    from loopml.tracking.buffer import flush_all as flush_all
    from loopml.tracking.entities import (
        ArtifactInfo as ArtifactInfo,
        Experiment as Experiment,
        Metric as Metric,
        RunInfo as RunInfo,
    )
    from loopml.tracking.heartbeat import HeartbeatSettings as HeartbeatSettings
    from loopml.tracking.run import Run as Run, active_run as active_run
    from loopml.tracking.search import (
        parse_filter as parse_filter,
        parse_order_by as parse_order_by,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

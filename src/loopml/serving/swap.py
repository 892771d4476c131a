"""Hot swap: follow aliases, load new versions in the background, switch atomically.

A thread polls each alias-following route (one cheap registry query per route). When an
alias points somewhere new, the new version is loaded, validated and warmed up in that
thread while the old one keeps answering; then the route's pointer is replaced. A
version that fails to load is retried after a back-off, and the old one keeps serving.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.metrics import ServingMetrics
    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import Target
    from loopml.serving.runtime import Role, Route, Routes, Served

logger = logging.getLogger(__name__)


class Swapper:
    """Loads the versions of every route and keeps alias-following routes current.

    Args:
        routes: the deployment's routes.
        resolve: ``target -> version`` (the alias' current version; one cheap query).
        load: ``(target, version) -> model``.
        make_served: wraps a loaded model for a role (validator, batcher).
        poll_interval: seconds between alias checks.
        retry_after: seconds before retrying a version that failed to load.
        metrics: load events are counted here.
    """

    def __init__(
        self,
        routes: Routes,
        resolve: Callable[[Target], int],
        load: Callable[[Target, int], ServableModel],
        make_served: Callable[[ServableModel, Role], Served],
        *,
        poll_interval: float = 1.0,
        retry_after: float = 30.0,
        metrics: ServingMetrics | None = None,
    ) -> None:
        self.routes = routes
        self.resolve = resolve
        self.load = load
        self.make_served = make_served
        self.poll_interval = poll_interval
        self.retry_after = retry_after
        self.metrics = metrics
        self._failed: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load_all(self) -> None:
        """Load every route's current version now (start-up); errors propagate."""
        for route in self.routes.all():
            version = self._version_of(route)
            self._install(route, version)

    def start(self) -> None:
        """Start polling aliases in a background thread (no-op without alias routes)."""
        if self._thread is not None or self.poll_interval <= 0:
            return
        if not any(route.target.follows_alias for route in self.routes.all()):
            return
        self._thread = threading.Thread(target=self._run, name="loopml-hot-swap", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop polling."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.poll_interval):
            self.check()

    def check(self) -> list[tuple[Route, int]]:
        """Check every alias once; load and switch the ones that moved; return the switches."""
        switched = []
        for route in self.routes.all():
            if not route.target.follows_alias:
                continue
            try:
                version = self.resolve(route.target)
            except Exception as err:
                logger.warning("cannot resolve %s, keep serving: %s", route.target, err)
                continue
            current = route.current
            if current is not None and current.version == version:
                continue
            failed_at = self._failed.get((route.target.name, version))
            if failed_at is not None and time.monotonic() - failed_at < self.retry_after:
                continue
            try:
                self._install(route, version)
            except Exception:
                self._failed[(route.target.name, version)] = time.monotonic()
                logger.exception(
                    "could not load %s version %s; still serving %s",
                    route.target,
                    version,
                    current.version if current else None,
                )
                continue
            switched.append((route, version))
        return switched

    def _version_of(self, route: Route) -> int:
        if route.target.version is not None:
            return route.target.version
        return self.resolve(route.target)

    def _install(self, route: Route, version: int) -> None:
        started = time.perf_counter()
        name = route.target.name
        try:
            served = self.make_served(self.load(route.target, version), route.role)
            served.warm_up()
        except Exception:
            if self.metrics is not None:
                self.metrics.load(route.role, name, str(version), "failed", 0.0)
            raise
        seconds = time.perf_counter() - started
        previous = route.swap(served)
        if self.metrics is not None:
            self.metrics.load(route.role, name, served.label, "loaded", seconds)
            self.metrics.serving[route.role] = (served.name, served.label)
        logger.info(
            "%s route %s now serves version %s (was %s), loaded in %.3f s",
            route.role,
            route.target,
            served.version,
            previous.version if previous else None,
            seconds,
        )

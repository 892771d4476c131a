"""Hot swap: follow aliases, load new versions in the background, switch atomically.

A thread polls each alias-following route (one cheap registry query per route). When an
alias points somewhere new, the new version is loaded and warmed up on its example rows in
that thread while the old one keeps answering; then the route's pointer is replaced. A
swap is refused, and the old version keeps serving, when the new version fails to load,
fails its warm-up, or takes other input columns than the one serving (clients send the
old columns; restart the server to serve the new signature). Each refusal is logged at
ERROR, counted on ``/metrics`` (``loopml_serving_swaps_refused_total`` and the
``loopml_serving_swap_refused`` gauge, 1 until a later swap succeeds) and handed to
``on_refused`` (the store source appends it to the ``swaps/<deployment>`` stream); the
same version is retried after a back-off.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from loopml.serving.errors import WarmUpFailed
from loopml.serving.runtime import Route

if TYPE_CHECKING:
    from collections.abc import Callable

    from loopml.serving.metrics import ServingMetrics
    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import Target
    from loopml.serving.runtime import Role, Routes, Served

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class RefusedSwap:
    """A version a route did not switch to, and why (``kind``: load, warm_up, signature)."""

    time_ms: int
    route: str
    model_name: str
    from_version: int | None
    to_version: int
    kind: str
    reason: str


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
        examples: ``model -> example rows`` (the rows logged with it) for the warm-up.
        canary_share: ``() -> (target, percent) | None``, the canary share set on the
            deployment now; the canary route follows it (``None``: the routes are fixed).
        on_refused: called with each :class:`RefusedSwap` (records it, raises an alert).
        on_recovered: called with ``(role, version)`` when a route whose last swap was
            refused switches to a version (resolves the alert).
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
        examples: Callable[[ServableModel], list[dict[str, Any]] | None] | None = None,
        on_refused: Callable[[RefusedSwap], None] | None = None,
        canary_share: Callable[[], tuple[Target, float] | None] | None = None,
        on_recovered: Callable[[str, int], None] | None = None,
    ) -> None:
        self.routes = routes
        self.resolve = resolve
        self.load = load
        self.make_served = make_served
        self.poll_interval = poll_interval
        self.retry_after = retry_after
        self.metrics = metrics
        self.examples = examples
        self.on_refused = on_refused
        self.canary_share = canary_share
        self.on_recovered = on_recovered
        self._refused_roles: set[str] = set()
        #: the latest refusals, newest last (at most 100)
        self.refused: list[RefusedSwap] = []
        self._failed: dict[tuple[str, int], float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def load_all(self) -> None:
        """Load every route's current version now (start-up); errors propagate."""
        for route in self.routes.all():
            version = self._version_of(route)
            self._install(route, version)
        if self.canary_share is not None:  # a server started during a canary joins it
            self._follow_canary(self.canary_share)

    def start(self) -> None:
        """Start polling aliases in a background thread (no-op without alias routes)."""
        if self._thread is not None or self.poll_interval <= 0:
            return
        follows = any(route.target.follows_alias for route in self.routes.all())
        if not follows and self.canary_share is None:
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
            started = time.perf_counter()
            try:
                served = self._prepare(route, version)
            except Exception as err:
                self._refuse(route, version, "warm_up" if _is_warm_up(err) else "load", err)
                continue
            if current is not None and _inputs(current) != _inputs(served):
                why = (
                    f"version {version} takes {_describe(served)} but version {current.version} "
                    f"takes {_describe(current)}; clients send the old columns, so this server "
                    "keeps the old version; restart it to serve the new signature"
                )
                self._refuse(route, version, "signature", why)
                continue
            self._swap(route, served, time.perf_counter() - started)
            switched.append((route, version))
        if self.canary_share is not None:  # after the primary: a promotion swaps it first
            installed = self._follow_canary(self.canary_share)
            if installed is not None:
                switched.append(installed)
        return switched

    def _follow_canary(
        self, canary_share: Callable[[], tuple[Target, float] | None]
    ) -> tuple[Route, int] | None:
        """Add, re-weigh or drop the canary route after the deployment's canary share."""
        try:
            wanted = canary_share()
        except Exception as err:
            logger.warning("cannot read the canary share, keep the routes: %s", err)
            return None
        route = self.routes.canary
        if wanted is None:
            if route is not None:
                self.routes.canary = None
                if self.metrics is not None:
                    self.metrics.serving.pop("canary", None)
                logger.info("canary route %s removed (the deployment's share ended)", route.target)
            return None
        target, percent = wanted
        if route is not None and route.target == target:
            route.percent = percent
            return None
        fresh = Route("canary", target, percent)
        try:
            version = self.resolve(target)
        except Exception as err:
            logger.warning("cannot resolve canary %s, no canary yet: %s", target, err)
            return None
        failed_at = self._failed.get((target.name, version))
        if failed_at is not None and time.monotonic() - failed_at < self.retry_after:
            return None
        started = time.perf_counter()
        try:
            served = self._prepare(fresh, version)
        except Exception as err:
            self._refuse(fresh, version, "warm_up" if _is_warm_up(err) else "load", err)
            return None
        primary = self.routes.primary.current
        if primary is not None and _inputs(primary) != _inputs(served):
            why = (
                f"canary version {version} takes {_describe(served)} but the primary version "
                f"{primary.version} takes {_describe(primary)}; no canary on this server"
            )
            self._refuse(fresh, version, "signature", why)
            return None
        self._swap(fresh, served, time.perf_counter() - started)
        self.routes.canary = fresh  # one assignment: the next request may pick it
        return fresh, version

    def _refuse(self, route: Route, version: int, kind: str, err: object) -> None:
        self._failed[(route.target.name, version)] = time.monotonic()
        current = route.current
        refusal = RefusedSwap(
            int(time.time() * 1000),
            route.role,
            route.target.name,
            current.version if current is not None else None,
            version,
            kind,
            str(err)[:500],
        )
        self.refused = [*self.refused[-99:], refusal]
        self._refused_roles.add(route.role)
        logger.error(
            "refused to swap %s route %s to version %s (%s); still serving %s: %s",
            route.role,
            route.target,
            version,
            kind,
            refusal.from_version,
            refusal.reason,
            exc_info=err if isinstance(err, BaseException) else None,
        )
        if self.metrics is not None:
            self.metrics.refused_swap(route.role, route.target.name, str(version), kind)
        if self.on_refused is not None:
            try:
                self.on_refused(refusal)
            except Exception:  # recording must never stop the old version from serving
                logger.exception("could not record the refused swap")

    def _version_of(self, route: Route) -> int:
        if route.target.version is not None:
            return route.target.version
        return self.resolve(route.target)

    def _prepare(self, route: Route, version: int) -> Served:
        try:
            model = self.load(route.target, version)
            served = self.make_served(model, route.role)
            served.warm_up(self.examples(model) if self.examples is not None else None)
        except Exception:
            if self.metrics is not None:
                self.metrics.load(route.role, route.target.name, str(version), "failed", 0.0)
            raise
        return served

    def _install(self, route: Route, version: int) -> None:
        started = time.perf_counter()
        self._swap(route, self._prepare(route, version), time.perf_counter() - started)

    def _swap(self, route: Route, served: Served, seconds: float) -> None:
        previous = route.swap(served)
        if self.metrics is not None:
            self.metrics.load(route.role, served.name, served.label, "loaded", seconds)
            self.metrics.serving[route.role] = (served.name, served.label)
            self.metrics.swap_refused.pop(route.role, None)
        if route.role in self._refused_roles:
            self._refused_roles.discard(route.role)
            if self.on_recovered is not None:
                try:
                    self.on_recovered(route.role, served.version)
                except Exception:
                    logger.exception("could not record the recovered swap")
        logger.info(
            "%s route %s now serves version %s (was %s), loaded in %.3f s",
            route.role,
            route.target,
            served.version,
            previous.version if previous else None,
            seconds,
        )


def _is_warm_up(err: Exception) -> bool:
    return isinstance(err, WarmUpFailed)


def _inputs(served: Served) -> tuple[Any, ...]:
    return (served.validator.columns, served.validator.dtypes)


def _describe(served: Served) -> str:
    return served.validator.describe()

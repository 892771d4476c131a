"""``OnlineService``: registered definitions plus online lookups, without pandas or DuckDB.

It is what the feature server runs (so the server starts fast), and what
:class:`~loopml.features.FeatureStore` delegates its online side to.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml._utils.secrets import redact
from loopml.errors import InvalidInput
from loopml.features import registry
from loopml.features.lookup import OnlineFeatures, OnlinePlan, codec_for
from loopml.features.online import OnlineStore, open_online_store
from loopml.features.references import parse

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from loopml.features.codec import Codec
    from loopml.features.registry import ViewVersion
    from loopml.store import Store

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class OnlineService:
    """Definitions (refreshed from the registry) and lookups in one online store.

    Args:
        store: the metadata store holding the registry.
        online_store: online store URL or instance.
        refresh_s: how often (seconds) to look for definitions applied by other processes.

    Example:
        >>> service = OnlineService(store, "sqlite:///online.db")  # doctest: +SKIP
        >>> service.get_online_features({"customer_id": [1]}, ["activity:*"])  # doctest: +SKIP
    """

    def __init__(
        self, store: Store, online_store: str | OnlineStore, refresh_s: float = 2.0
    ) -> None:
        self.store = store
        self._online_arg = online_store
        self._online: OnlineStore | None = None if isinstance(online_store, str) else online_store
        self.refresh_s = refresh_s
        self._lock = threading.Lock()
        self._views: dict[str, ViewVersion] = {}
        self._generation: tuple[int, int] | None = None
        self._checked = 0.0
        self._plans: dict[tuple[tuple[str, ...], bool], OnlinePlan] = {}
        self._codecs: dict[tuple[str, int], Codec] = {}

    def __repr__(self) -> str:
        return f"OnlineService(online={self.online_url!r})"

    @property
    def online(self) -> OnlineStore:
        """The online store (opened on first use)."""
        if self._online is None:
            self._online = open_online_store(str(self._online_arg))
        return self._online

    @property
    def online_url(self) -> str:
        """The online store URL, without any password."""
        return safe_url(str(getattr(self._online_arg, "url", self._online_arg)))

    def current(self) -> dict[str, ViewVersion]:
        """The current version of every view (reloaded when the registry changed)."""
        now = time.monotonic()
        if self._generation is not None and now - self._checked < self.refresh_s:
            return self._views
        with self._lock:
            generation = registry.generation(self.store)
            if generation != self._generation:
                self._views = registry.latest_views(self.store)
                self._plans = {}
                self._generation = generation
            self._checked = now
        return self._views

    def refresh(self) -> None:
        """Reload definitions now."""
        self._checked = 0.0
        self._generation = None
        self.current()

    def pinned(self, name: str, version: int) -> ViewVersion:
        """Return one version of a view."""
        return registry.get_view(self.store, name, version)

    def codec(self, view: ViewVersion) -> Codec:
        """Return the (cached) codec of a view version."""
        key = (view.name, view.version)
        codec = self._codecs.get(key)
        if codec is None:
            codec = self._codecs[key] = codec_for(view)
        return codec

    def list_views(self) -> list[ViewVersion]:
        """Return the current version of every feature view."""
        return list(self.current().values())

    def get_online_features(
        self,
        entities: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
        features: Sequence[str],
        *,
        full_names: bool = False,
        now: dt.datetime | None = None,
        with_event_times: bool = False,
    ) -> OnlineFeatures:
        """Look up entities; see :meth:`FeatureStore.get_online_features`."""
        key = (tuple(features), full_names)
        plan = self._plans.get(key)
        if plan is None or time.monotonic() - self._checked >= self.refresh_s:
            current = self.current()
            plan = self._plans.get(key)
            if plan is None:
                selections = parse(features, current, self.pinned, full_names=full_names)
                codecs = {(s.view.name, s.view.version): self.codec(s.view) for s in selections}
                plan = self._plans[key] = OnlinePlan(selections, codecs)
        return plan.read(self.online, entities, now, with_event_times=with_event_times)

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 6566,
        workers: int = 1,
        max_body_mb: float = 32.0,
    ) -> None:
        """Serve lookups over HTTP until interrupted (see :mod:`loopml.features.server`)."""
        serve = _registry.import_target("loopml.features.server:serve")
        serve(self, host, port, workers, max_body_mb)

    def close(self) -> None:
        """Release the online store's connections (unless it was passed in)."""
        if self._online is not None and isinstance(self._online_arg, str):
            self._online.close()
            self._online = None


def safe_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``."""
    return redact(url)


def to_us(value: dt.datetime | str) -> int:
    """Convert a datetime or ISO 8601 text (naive = UTC) to epoch microseconds.

    Raises:
        InvalidInput: the value is not a time.
    """
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError as err:
            raise InvalidInput(
                f"cannot read time {value!r}; use ISO 8601 like 2024-01-31T00:00"
            ) from err
    if not isinstance(value, dt.datetime):
        raise InvalidInput(f"expected a datetime, got {value!r}")
    if value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return (value - _EPOCH) // dt.timedelta(microseconds=1)

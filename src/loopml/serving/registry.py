"""The model source over a loopml store: aliases and packages from ``loopml.models``.

The server asks the registry one cheap question per poll (which version does this
alias point at?) and loads packages by version. Over the embedded default (a SQLite
file and a local artifact folder) both go through :class:`~loopml.models.quick.
SqliteRegistry` (``sqlite3`` and the verified package files, no SQLAlchemy); whatever it
cannot answer (an unknown name, whose error lists what exists; an old schema) and every
other store go through ``loopml.models``. The store itself opens on first use.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import sqlite3
from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from loopml import _registry, config
from loopml.errors import BlobCorrupted
from loopml.models.quick import SqliteRegistry
from loopml.serving.canary_share import parse_share, tag_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from loopml.config import Settings
    from loopml.models.loaded import LoadedModel
    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import Target
    from loopml.serving.swap import RefusedSwap
    from loopml.store import Store
    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)
SWAPS_PREFIX = "swaps"


class StoreModelSource:
    """Resolves aliases and loads model versions from the registry of one store.

    Args:
        settings: the settings the store opens from.
        store: the store, or a function that opens it on first use (default: open it
            from ``settings`` when first needed).
    """

    def __init__(
        self, settings: Settings, store: Store | Callable[[], Store] | None = None
    ) -> None:
        self.settings = settings
        self._open_store = store if callable(store) else None
        if store is not None and not callable(store):
            self.__dict__["store"] = store
        #: the light read path over an embedded SQLite store (``None``: another store)
        self.light = SqliteRegistry.for_settings(settings)

    @classmethod
    def open(cls, **overrides: Any) -> StoreModelSource:
        """Open the store that the settings (with ``overrides``) describe."""
        return cls(config.resolve(**overrides))

    @cached_property
    def store(self) -> Store:
        """The store (opened on first use)."""
        if self._open_store is not None:
            return self._open_store()
        from loopml.store import Store  # SQLAlchemy: only when something needs the store

        return Store.from_settings(self.settings)

    @cached_property
    def registry(self) -> Any:
        """The model registry over the store (``loopml.models``)."""
        return _registry.import_target("loopml.models:Models")(self.store)

    def resolve(self, target: Target) -> int:
        """Return the version the target's alias points at (one query)."""
        if target.version is not None:
            return target.version
        alias = target.alias or "champion"
        if self.light is not None:
            try:
                version = self.light.alias_version(target.name, alias)
            except sqlite3.Error:
                version = None
            if version is not None:
                return version
        return int(self.registry.get_alias(target.name, alias).version)

    def load(self, target: Target, version: int) -> ServableModel:
        """Load (from the local cache when possible) one version of the target's model."""
        uri = f"models:/{target.name}/{version}"
        light = self._light_load(uri)
        if light is not None:
            return cast("ServableModel", light)  # a version's name and number are set
        model: ServableModel = self.registry.load_model(uri)
        return model

    def _light_load(self, uri: str) -> LoadedModel | None:
        if self.light is None:
            return None
        try:
            return self.light.load(uri)
        except (sqlite3.Error, BlobCorrupted):
            return None  # the registry raises a corruption again, naming what holds the blob

    def event_log(self) -> EventLog:
        """The event log in the store's artifact backend."""
        from loopml.store.events import EventLog  # pyarrow: needed at the first flush only

        if self.light is not None and "store" not in self.__dict__:
            return EventLog(self.light.blobs.backend)
        return EventLog.from_store(self.store)

    def example_rows(self, model: ServableModel) -> list[dict[str, Any]] | None:
        """Return the example rows stored in the model's package (``example.json``)."""
        files = (getattr(model, "manifest", None) or {}).get("files", {})
        entry = files.get("example.json")
        if not isinstance(entry, dict) or "digest" not in entry:
            return None
        try:
            rows = json.loads(self._blob_file(entry["digest"]).read_bytes())
        except (OSError, ValueError) as err:
            logger.warning("cannot read the example rows of %s: %s", model.name, err)
            return None
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else None

    def _blob_file(self, digest: str) -> Path:
        if self.light is not None:
            try:
                return self.light.blobs.local_file(digest)
            except BlobCorrupted:
                pass  # the store's blobs raise it again, naming what holds the blob
        return self.store.blobs.local_file(digest)

    def canary_share(self, model: str, deployment: str) -> tuple[Target, float] | None:
        """The canary share set on ``deployment`` (a tag of the registered model), if any."""
        key = tag_key(deployment)
        if self.light is not None:
            try:
                exists, value = self.light.model_tag(model, key)
            except sqlite3.Error:
                exists, value = False, None
            if exists:
                return parse_share(model, value)
        tags = self.registry.get_registered_model(model).tags
        return parse_share(model, tags.get(key))

    def record_refused_swap(self, deployment: str, refusal: RefusedSwap) -> None:
        """Append the refusal to the ``swaps/<deployment>`` event stream."""
        row = dataclasses.asdict(refusal)
        row["time"] = row.pop("time_ms")
        row["deployment"] = deployment
        self.event_log().append(f"{SWAPS_PREFIX}/{deployment}", [row])

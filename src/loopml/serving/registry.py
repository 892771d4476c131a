"""The model source over a loopml store: aliases and packages from ``loopml.models``.

The server asks the registry one cheap question per poll (which version does this
alias point at?) and loads packages by version; both go through ``loopml.models``.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from functools import cached_property
from typing import TYPE_CHECKING, Any

from loopml import _registry, config
from loopml.serving.canary_share import parse_share, tag_key
from loopml.store import Store

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.serving.protocols import ServableModel
    from loopml.serving.routing import Target
    from loopml.serving.swap import RefusedSwap
    from loopml.store.events import EventLog

logger = logging.getLogger(__name__)
SWAPS_PREFIX = "swaps"


class StoreModelSource:
    """Resolves aliases and loads model versions from the registry of one store."""

    def __init__(self, settings: Settings, store: Store | None = None) -> None:
        self.settings = settings
        if store is not None:
            self.__dict__["store"] = store

    @classmethod
    def open(cls, **overrides: Any) -> StoreModelSource:
        """Open the store that the settings (with ``overrides``) describe."""
        return cls(config.resolve(**overrides))

    @cached_property
    def store(self) -> Store:
        """The store (opened on first use)."""
        return Store.from_settings(self.settings)

    @cached_property
    def registry(self) -> Any:
        """The model registry over the store (``loopml.models``)."""
        return _registry.import_target("loopml.models:Models")(self.store)

    def resolve(self, target: Target) -> int:
        """Return the version the target's alias points at (one query)."""
        if target.version is not None:
            return target.version
        return int(self.registry.get_alias(target.name, target.alias or "champion").version)

    def load(self, target: Target, version: int) -> ServableModel:
        """Load (from the local cache when possible) one version of the target's model."""
        model: ServableModel = self.registry.load_model(f"models:/{target.name}/{version}")
        return model

    def event_log(self) -> EventLog:
        """The event log in the store's artifact backend."""
        from loopml.store.events import EventLog  # pyarrow: needed at the first flush only

        return EventLog.from_store(self.store)

    def example_rows(self, model: ServableModel) -> list[dict[str, Any]] | None:
        """Return the example rows stored in the model's package (``example.json``)."""
        files = (getattr(model, "manifest", None) or {}).get("files", {})
        entry = files.get("example.json")
        if not isinstance(entry, dict) or "digest" not in entry:
            return None
        try:
            rows = json.loads(self.store.blobs.local_file(entry["digest"]).read_bytes())
        except (OSError, ValueError) as err:
            logger.warning("cannot read the example rows of %s: %s", model.name, err)
            return None
        return [r for r in rows if isinstance(r, dict)] if isinstance(rows, list) else None

    def canary_share(self, model: str, deployment: str) -> tuple[Target, float] | None:
        """The canary share set on ``deployment`` (a tag of the registered model), if any."""
        tags = self.registry.get_registered_model(model).tags
        return parse_share(model, tags.get(tag_key(deployment)))

    def record_refused_swap(self, deployment: str, refusal: RefusedSwap) -> None:
        """Append the refusal to the ``swaps/<deployment>`` event stream."""
        row = dataclasses.asdict(refusal)
        row["time"] = row.pop("time_ms")
        row["deployment"] = deployment
        self.event_log().append(f"{SWAPS_PREFIX}/{deployment}", [row])

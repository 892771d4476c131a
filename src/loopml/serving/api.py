"""``Serving``: the serving API a :class:`loopml.Client` composes (``client.serving``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml.serving import batch, query, server
from loopml.serving.registry import StoreModelSource
from loopml.serving.routing import parse_target
from loopml.store.events import EventLog

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable
    from pathlib import Path

    from loopml.config import Settings
    from loopml.serving.batch import BatchResult
    from loopml.serving.server import Built
    from loopml.store import Store


class Serving:
    """Model servers, batch scoring and the prediction log over one store.

    Args:
        store: the store with the model registry and the artifact backend.
        settings: the settings the store was opened from (handed to worker processes).
    """

    def __init__(self, store: Store, settings: Settings) -> None:
        self.store = store
        self.settings = settings
        self.source = StoreModelSource(settings, store)

    def config(self, target: str, **options: Any) -> server.ServeConfig:
        """Return the :class:`~loopml.serving.server.ServeConfig` for ``target``."""
        options.setdefault(
            "settings",
            {
                "db_url": self.settings.db_url,
                "artifacts": self.settings.artifacts,
                "artifacts_options": dict(self.settings.artifacts_options),
                "home": str(self.settings.home),
            },
        )
        return server.ServeConfig(target, **options)

    def build(self, target: str, **options: Any) -> Built:
        """Load the models and build the ASGI app without serving it (embedding, tests)."""
        return server.build(self.config(target, **options), self.source)

    def serve(self, target: str, **options: Any) -> None:
        """Serve ``target`` over HTTP until interrupted; see ``ServeConfig`` for options."""
        server.run(self.config(target, **options), self.source)

    def predict_batch(
        self,
        target: str,
        input: str | Path,
        output: str | Path,
        *,
        progress: Callable[[int, int | None], None] | None = None,
        **options: Any,
    ) -> BatchResult:
        """Score a parquet/CSV file with a model version in streaming chunks."""
        parsed = parse_target(target)
        model = self.source.load(parsed, self.source.resolve(parsed))
        return batch.predict_batch(model, input, output, progress=progress, **options)

    def predictions(
        self,
        deployment: str,
        since: dt.datetime | dt.timedelta | str | None = None,
        until: dt.datetime | dt.timedelta | str | None = None,
        **options: Any,
    ) -> Any:
        """Return the logged predictions of a deployment as a DataFrame (DuckDB)."""
        return query.predictions(
            EventLog.from_store(self.store), deployment, since, until, **options
        )

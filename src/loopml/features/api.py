"""``FeatureStore``: the feature store API of one loopml store (composes the modules)."""

from __future__ import annotations

import datetime as dt
import logging
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeAlias

from loopml import _hooks
from loopml.data import Datasets
from loopml.errors import InvalidInput
from loopml.features import (
    applying,
    check as consistency,
    loading,
    materialize as mat,
    project,
    registry,
    retrieval,
    state,
    training,
)
from loopml.features.errors import FeatureViewNotFound
from loopml.features.reading import SourceContext, connect
from loopml.features.references import parse
from loopml.features.service import OnlineService, to_us
from loopml.tracking import active_run

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Mapping, Sequence

    import pandas as pd

    from loopml.config import Settings
    from loopml.data import DatasetVersion
    from loopml.features.check import ConsistencyReport
    from loopml.features.codec import Codec
    from loopml.features.definitions import Entity, FeatureView
    from loopml.features.lookup import OnlineFeatures
    from loopml.features.online import OnlineStore
    from loopml.features.registry import ApplyChange, EntityVersion, ViewVersion
    from loopml.store import Store

    Progress: TypeAlias = Callable[[str, mat.Materialization | None], None]

logger = logging.getLogger(__name__)
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


class _ClientLike(Protocol):
    @property
    def store(self) -> Store: ...

    @property
    def settings(self) -> Settings: ...


class FeatureStore:
    """Entities, feature views, point-in-time retrieval, materialization and online lookups.

    Args:
        client: the :class:`loopml.Client` to use (default: the configured default client).
        online_store: online store URL or instance (default: ``Settings.online_store``).
        refresh_s: how often (seconds) to look for definitions applied by other processes.

    Example:
        >>> import loopml as lm
        >>> fs = lm.FeatureStore()  # doctest: +SKIP
        >>> fs.apply([lm.Entity("customer_id"),
        ...           lm.FeatureView("activity", "customer_id", "activity.parquet", "ts")])
        ...     # doctest: +SKIP
    """

    def __init__(
        self,
        client: _ClientLike | None = None,
        *,
        online_store: str | OnlineStore | None = None,
        refresh_s: float = 2.0,
    ) -> None:
        if client is None:
            client = _hooks.default_client()
        self._client: _ClientLike = client
        url = client.settings.online_store if online_store is None else online_store
        self._service = OnlineService(client.store, url, refresh_s)
        self._datasets = Datasets(client.store)

    def __repr__(self) -> str:
        return f"FeatureStore(db={self.store.db.safe_url!r}, online={self.online_url!r})"

    # ------------------------------------------------------------------ plumbing
    @property
    def store(self) -> Store:
        """The metadata and artifact store."""
        return self._client.store

    @property
    def online(self) -> OnlineStore:
        """The online store (opened on first use)."""
        return self._service.online

    @property
    def online_url(self) -> str:
        """The online store URL, without any password."""
        return self._service.online_url

    @property
    def service(self) -> OnlineService:
        """The online side alone (what the feature server runs)."""
        return self._service

    def source_context(self) -> SourceContext:
        """Paths and URLs that reading sources needs."""
        settings = self._client.settings
        base = settings.project_dir or Path.cwd()
        return SourceContext(base, self.store.blobs.local_file, self.store.db.url, self._dataset)

    def _dataset(self, name: str, version: int | None) -> tuple[Path, str]:
        found = self._datasets.get_version(name, version)
        return self._datasets.dataset_path(found), found.node_id

    def refresh(self) -> None:
        """Reload definitions now (they are otherwise reloaded every ``refresh_s`` seconds)."""
        self._service.refresh()

    def _current(self) -> dict[str, ViewVersion]:
        return self._service.current()

    def _pinned(self, name: str, version: int) -> ViewVersion:
        return self._service.pinned(name, version)

    def _codec(self, view: ViewVersion) -> Codec:
        return self._service.codec(view)

    # ------------------------------------------------------------------ definitions
    def apply(
        self, objects: Iterable[Entity | FeatureView], *, dry_run: bool = False
    ) -> list[ApplyChange]:
        """Register entities and feature views; a changed definition becomes a new version.

        Every view is checked against its source first (columns exist, types fit), and
        DataFrame sources are snapshotted into the artifact store; then everything is
        written in one transaction, so a bad definition registers nothing.

        Args:
            objects: :class:`Entity` and :class:`FeatureView` objects.
            dry_run: check and report what would change without registering anything.

        Returns:
            One :class:`~loopml.features.registry.ApplyChange` per object.

        Raises:
            InvalidDefinition: a definition is malformed or does not fit its source.
            EntityNotFound: a view names an entity that is neither registered nor applied.
            SourceError: a source cannot be read or lacks a column.
        """
        entities, views = applying.split(objects)
        known = registry.latest_entities(self.store)
        ctx = self.source_context()
        resolved = [
            applying.resolve(self.store, ctx, view, entities, known, dry_run) for view in views
        ]
        upstream = {view.name: applying.source_node(view, ctx) for view, _ in resolved}
        changes = registry.apply(
            self.store, list(entities.values()), resolved, upstream=upstream, dry_run=dry_run
        )
        if not dry_run:
            self.refresh()
            for change in changes:
                if change.action != "unchanged":
                    logger.info("applied %s %s v%d", change.kind, change.name, change.version)
        return changes

    def apply_files(
        self, paths: Sequence[str | Path] | None = None, *, dry_run: bool = False
    ) -> list[ApplyChange]:
        """Load definitions from Python files and :meth:`apply` them.

        Args:
            paths: files or folders (default: the project's ``features.py`` or
                ``features/``, or ``features.definitions`` in ``loopml.yaml``).
            dry_run: report what would change without registering anything.
        """
        settings = self._client.settings
        base = settings.project_dir or Path.cwd()
        found = [Path(p) for p in paths] if paths else project.default_paths(base, settings.extra)
        return self.apply(project.load_definitions(found), dry_run=dry_run)

    def list_views(self) -> list[ViewVersion]:
        """Return the current version of every feature view, by name."""
        return list(self._current().values())

    def get_view(self, name: str, version: int | None = None) -> ViewVersion:
        """Return a view version (the current one by default)."""
        return registry.get_view(self.store, name, version)

    def view_versions(self, name: str) -> list[ViewVersion]:
        """Return every version of a view, oldest first."""
        return registry.view_versions(self.store, name)

    def list_entities(self) -> list[EntityVersion]:
        """Return the current version of every entity."""
        return list(registry.latest_entities(self.store).values())

    # ------------------------------------------------------------------ offline
    def get_historical_features(
        self,
        spine: pd.DataFrame,
        features: Sequence[str],
        *,
        timestamp: str = "event_timestamp",
        known_at: object = None,
        full_names: bool = False,
    ) -> pd.DataFrame:
        """Join features onto a spine, point in time: never a value from the future.

        For each spine row, each view contributes its latest row for the row's entity with
        event time ``<=`` the spine time (ties: the latest created timestamp), or nulls when
        there is none or it is older than the view's TTL. One DuckDB statement (ASOF joins),
        never a Python loop over rows.

        Args:
            spine: entity key columns and a timestamp column; any other columns are kept.
            features: references ``"view:feature"``, ``"view:*"`` or ``"view@3:feature"``.
            timestamp: the spine's time column.
            known_at: only use values *written* by then (needs ``created_timestamp`` on the
                views): a spine column (a known time per row) or one time for all rows.
                Late backfills written after that time cannot leak into the result.
            full_names: name feature columns ``view__feature``.

        Returns:
            A copy of ``spine`` (same rows, order and index) with one column per feature.
            ``result.attrs["loopml.features"]`` records the view versions and sources used.

        Raises:
            SpineError: a key or time column is missing, or naive and aware times are mixed.
            FeatureViewNotFound, FeatureNotFound, InvalidFeatureReference: bad references.
            SourceSchemaChanged: a source column changed type since the view was applied.
        """
        selections = parse(features, self._current(), self._pinned, full_names=full_names)
        return retrieval.get_historical_features(
            self.source_context(), selections, spine, timestamp, known_at
        )

    def log_training_set(
        self,
        frame: pd.DataFrame,
        name: str,
        *,
        description: str | None = None,
        metadata: Mapping[str, Any] | None = None,
        run: Any = None,
    ) -> DatasetVersion:
        """Log a :meth:`get_historical_features` result as a dataset version, with lineage.

        The version holds the exact rows (content-addressed: logging the same data again
        returns the same version). Lineage records ``derived_from`` edges to each feature
        view version read, and from those to their sources (dataset sources pinned to the
        version read), so the training data of a model can be traced and reproduced.

        Args:
            frame: the DataFrame returned by :meth:`get_historical_features` (labels and
                other columns may have been added to it).
            name: the dataset name, e.g. ``"churn_training"``.
            description: what this training set is.
            metadata: extra JSON-ready facts (merged with the feature references).
            run: a run (or run id) that used it; default: the active run, if any.

        Raises:
            InvalidInput: ``frame`` carries no feature lineage.
        """
        nodes, facts = training.upstream(frame)
        run_id = getattr(run, "id", run)
        if run is None:
            active = active_run()
            run_id = None if active is None else active.id
        return self._datasets.log_dataset(
            frame,
            name,
            description=description,
            metadata={**facts, **(metadata or {})},
            derived_from=nodes,
            run_id=run_id,
        )

    # ------------------------------------------------------------------ materialization
    def materialize(
        self,
        start: dt.datetime | str | None = None,
        end: dt.datetime | str | None = None,
        *,
        views: Sequence[str] | None = None,
        progress: Progress | None = None,
        force: bool = False,
    ) -> list[mat.Materialization]:
        """Load the latest value of every entity into the online store.

        With ``start``/``end``: the rows with event time in ``[start, end)``. Without
        ``start``: incrementally from each view's watermark (everything the first time) up
        to ``end`` (default: now). Reruns are idempotent; a stored value is never replaced
        by an older one; a failure leaves the online store as it was.

        Args:
            start: window start (naive times are UTC).
            end: window end, exclusive (default: now).
            views: view names (default: every view with ``online=True``).
            progress: called with ``(view, None)`` before and ``(view, result)`` after each.
            force: take each view's lease even if another process holds it (use only when
                that process is known to be dead; a live one renews its lease every 10 s,
                and a dead one's lease lapses by itself within 30 s).

        Raises:
            MaterializationInProgress: another process is materializing the same view.
        """
        end_us = to_us(end) if end is not None else int(time.time() * 1e6)
        start_us = None if start is None else to_us(start)
        if start_us is not None and start_us >= end_us:
            raise InvalidInput(f"materialize: start {start} must be before end {end}")
        results = []
        for view in self._select(views):
            if progress is not None:
                progress(view.name, None)
            result = loading.materialize_view(
                self._job(view), view, start_us, end_us, ranged=start is not None, force=force
            )
            results.append(result)
            if progress is not None:
                progress(view.name, result)
        return results

    def _job(self, view: ViewVersion) -> loading.Job:
        return loading.Job(
            self.store, self.online, self.online_url, self.source_context(), self._codec(view)
        )

    def _select(self, names: Sequence[str] | None) -> list[ViewVersion]:
        current = self._current()
        if names is None:
            return [v for v in current.values() if v.view.online]
        missing = [n for n in names if n not in current]
        if missing:
            raise FeatureViewNotFound(
                f"no feature view {missing[0]!r} is registered; registered: {sorted(current)}"
            )
        return [current[n] for n in names]

    def push(self, view: str, frame: pd.DataFrame) -> int:
        """Write fresh values straight to the online store (for streaming features).

        The latest row per entity of ``frame`` (same columns as the view's source: keys,
        event time, features) is packed and written in one atomic batch; a stored value
        with a newer event time is kept. The offline source is not changed: append the rows
        there too if training data should see them.

        Returns:
            How many entities' online values changed.

        Raises:
            SourceSchemaChanged: ``frame`` lacks a column of the view or has a wrong type.
        """
        version = self._select([view])[0]
        return loading.push(self._job(version), version, frame)[1]

    def materializations(
        self, view: str | None = None, limit: int = 50
    ) -> list[state.MaterializationRecord]:
        """Return recent materializations (newest first), optionally of one view."""
        return state.history(self.store, view, limit)

    def watermark(self, view: str) -> dt.datetime | None:
        """Return where the next incremental materialization of ``view`` starts, or ``None``."""
        value = state.watermark(self.store, self.get_view(view), self.online_url)
        return None if value is None else dt.datetime.fromtimestamp(value / 1e6, dt.UTC)

    def check(
        self, view: str, *, sample: int = 100, seed: int = 0, now: dt.datetime | None = None
    ) -> ConsistencyReport:
        """Compare sampled online values with what the offline store says is latest.

        The offline side is taken as of the view's watermark (what the last
        materialization should have loaded), so rows that arrived later are not flagged.

        Raises:
            InvalidInput: the view was never materialized into this online store.
        """
        version = self._select([view])[0]
        horizon = state.watermark(self.store, version, self.online_url)
        if horizon is None:
            raise InvalidInput(
                f"feature view {view!r} was never materialized into {self.online_url}; run "
                "`loopml features materialize` first"
            )
        now_us = time.time() * 1e6 if now is None else to_us(now)
        con = connect()
        try:
            names = version.view.feature_names
            join = retrieval.view_join(con, version, names, self.source_context())
            return consistency.compare(
                con,
                version,
                join,
                self._codec(version),
                self.online,
                horizon_us=horizon,
                now_us=now_us,
                sample=sample,
                seed=seed,
            )
        finally:
            con.close()

    # ------------------------------------------------------------------ online
    def get_online_features(
        self,
        entities: Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]],
        features: Sequence[str],
        *,
        full_names: bool = False,
        now: dt.datetime | None = None,
        with_event_times: bool = False,
    ) -> OnlineFeatures:
        """Look up the latest materialized values of some entities.

        Args:
            entities: entity column -> values, e.g. ``{"customer_id": [1, 2]}``, or a list
                of rows ``[{"customer_id": 1}, ...]``. Keys are converted to the entity's
                type (``"7"`` -> 7 for integer keys); the result holds the converted keys.
            features: references ``"view:feature"`` or ``"view:*"``.
            full_names: name feature columns ``view__feature``.
            now: the time TTLs are measured against (default: now).
            with_event_times: add a ``<view>__event_timestamp`` column per view.

        Returns:
            :class:`OnlineFeatures`: a dict of columns (entity columns, then features), one
            value per entity; ``None`` where there is no value or it is older than the TTL.
        """
        return self._service.get_online_features(
            entities, features, full_names=full_names, now=now, with_event_times=with_event_times
        )

    def serve(
        self,
        host: str = "127.0.0.1",
        port: int = 6566,
        workers: int = 1,
        max_body_mb: float = 32.0,
    ) -> None:
        """Serve online lookups over HTTP until interrupted (see :mod:`loopml.features.server`).

        Bodies over ``max_body_mb`` get 413 before they are read into memory.
        """
        self._service.serve(host, port, workers, max_body_mb)

    def close(self) -> None:
        """Release the online store's connections."""
        self._service.close()

"""``Client``: one configured loopml, composing the component APIs (and nothing more).

Each component API is created on first access. Components other than tracking are
loaded by a ``"module:attribute"`` string, so using tracking never imports, for
example, the serving stack.

The client is the one wiring point: it builds the store, hands it to each component and
hands each component the hooks it needs from components above it (runs log models
through ``loopml.models``; model servers expose monitoring's gauges; the scheduler runs
monitors). Components never reach up to the client, the facade or ``loopml``.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any, cast

from loopml import _registry, config
from loopml._utils.secrets import redact
from loopml.errors import ConfigError

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.auth import Auth
    from loopml.ci import ModelCI
    from loopml.config import Settings
    from loopml.data import Datasets
    from loopml.deploy import Deployer
    from loopml.features import FeatureStore
    from loopml.features.service import OnlineService
    from loopml.lineage import Lineages
    from loopml.loop import Loops
    from loopml.models import ModelPackage, Models
    from loopml.monitoring import Monitoring
    from loopml.pipelines.api import Pipelines
    from loopml.pipelines.scheduler import JobSource, Scheduler
    from loopml.remote.transport import HttpTransport
    from loopml.serving.api import Serving
    from loopml.store import BlobStore, Store
    from loopml.store.housekeeping import Housekeeping
    from loopml.tracking import Run, Tracking
    from loopml.training import Tuner


class Client:
    """A loopml client: settings, the store they open, and the component APIs over it.

    Args:
        settings: resolved settings (default: resolve from files and environment).
        **overrides: settings that override the resolved ones (``db_url=...`` etc.).

    Example:
        >>> import loopml as lm
        >>> client = lm.Client(db_url="sqlite://", artifacts="memory://doc-client")
        >>> client.runs.list_experiments()
        []
    """

    def __init__(self, settings: Settings | None = None, **overrides: Any) -> None:
        if settings is None:
            settings = config.resolve(**overrides)
        elif overrides:
            settings = settings.with_overrides(**overrides)
        self.settings = settings

    def __repr__(self) -> str:
        db, artifacts = redact(self.settings.db_url), redact(self.settings.artifacts)
        return f"Client(db={db!r}, artifacts={artifacts!r})"

    @cached_property
    def store(self) -> Store:
        """The metadata database and blob store (opened, and migrated, on first use)."""
        if self.is_remote:
            raise ConfigError(
                f"this client talks to the server {self.settings.tracking_uri} "
                "(LOOPML_TRACKING_URI): tracking and the model registry work remotely, the "
                "other components need the store itself; unset LOOPML_TRACKING_URI (and set "
                "LOOPML_DB_URL) to use them, or call the server's REST API"
            )
        from loopml.store import Store  # SQLAlchemy: imported when the store opens

        store = Store.from_settings(self.settings)
        # lineage (issue 14): OpenLineage events for runs, pipeline runs and steps
        if self.settings.openlineage_url:
            emitter_for = _registry.import_target("loopml.lineage.openlineage:emitter_for")
            store.hooks.append(emitter_for(store, self.settings.openlineage_url))
        return store

    # ------------------------------------------------------------------ remote server
    @property
    def is_remote(self) -> bool:
        """Whether tracking and the registry go to a loopml server (``LOOPML_TRACKING_URI``)."""
        uri = self.settings.tracking_uri or ""
        return uri.startswith(("http://", "https://"))

    @cached_property
    def transport(self) -> HttpTransport:
        """The connection to the loopml server of ``tracking_uri``."""
        cls = _registry.import_target("loopml.remote.transport:HttpTransport")
        transport: HttpTransport = cls(str(self.settings.tracking_uri))
        return transport

    def _direct_blobs(self) -> BlobStore | None:
        # Artifacts go straight to the artifact store only when one was configured
        # explicitly (not the local default folder, which the server cannot read).
        if self.settings.sources.get("artifacts", "default") == "default":
            return None
        from loopml.store import BlobStore, open_backend

        home = self.settings.home / "cache" / "blobs"
        return BlobStore(open_backend(self.settings.artifacts), home)

    @cached_property
    def runs(self) -> Tracking:
        """Experiments, runs, search and artifacts."""
        if self.is_remote:
            cls = _registry.import_target("loopml.remote.tracking:RemoteTracking")
            remote = cls(self.transport, self.settings.experiment, self._direct_blobs())
            return cast("Tracking", remote)
        from loopml.tracking import Tracking  # imported on use: `loopml serve` never needs it

        return Tracking(self.store, self.settings.experiment, log_model=self._log_model)

    def _log_model(self, run: Run, model: object, name: str, /, **options: Any) -> ModelPackage:
        # Tracking sits below models: runs log models through this hook.
        return self.models.log_model(run, model, name, **options)

    @cached_property
    def monitors(self) -> Monitoring:
        """Monitors, feedback, alerts and reports."""
        monitoring: Monitoring = _registry.import_target("loopml.monitoring:Monitoring")(self.store)
        return monitoring

    @cached_property
    def pipelines(self) -> Pipelines:
        """Pipelines: runs, resume, explain, triggers and schedules."""
        pipelines: Pipelines = _registry.import_target("loopml.pipelines.api:Pipelines")(
            self.store, self.settings
        )
        return pipelines

    @cached_property
    def serving(self) -> Serving:
        """Model servers, batch scoring and the prediction log."""
        # The store opens on first need: a server over the embedded SQLite default reads
        # the registry through sqlite3 and starts without SQLAlchemy (issue 16).
        serving: Serving = _registry.import_target("loopml.serving.api:Serving")(
            lambda: self.store,
            self.settings,
            metrics_collectors=METRICS_COLLECTORS,
            swap_hooks=SWAP_HOOKS,
        )
        return serving

    def scheduler(
        self,
        *,
        holder: str | None = None,
        lease_ttl: float = 30.0,
        poll_interval: float = 5.0,
        sources: Sequence[str] | None = None,
        max_workers: int = 4,
        run_queued: bool = True,
    ) -> Scheduler:
        """Return a scheduler over this store with every job source (pipelines, monitors).

        Args:
            holder: this scheduler's name in the lease (default: host, pid, random part).
            lease_ttl: seconds a lease lasts without renewal.
            poll_interval: longest sleep between passes.
            sources: names of the sources to use (default: all).
            max_workers: jobs that may run at the same time.
            run_queued: also start runs queued by ``trigger_pipeline``.
        """
        scheduler_class = _registry.import_target("loopml.pipelines.scheduler:Scheduler")
        scheduler: Scheduler = scheduler_class(
            self.store,
            holder=holder,
            lease_ttl=lease_ttl,
            poll_interval=poll_interval,
            sources=sources,
            max_workers=max_workers,
            run_queued=run_queued,
            settings=self.settings,
            job_sources={"monitors": _monitor_jobs, "loops": _loop_jobs},
        )
        return scheduler

    @cached_property
    def online_features(self) -> OnlineService:
        """Online feature lookups alone (no pandas or DuckDB): what the feature server runs."""
        cls = _registry.import_target("loopml.features.service:OnlineService")
        service: OnlineService = cls(self.store, self.settings.online_store)
        return service

    @cached_property
    def features(self) -> FeatureStore:
        """The feature store: entities, feature views, retrieval, materialization, lookups."""
        cls = _registry.import_target("loopml.features.api:FeatureStore")
        store: FeatureStore = cls(self)
        return store

    @cached_property
    def datasets(self) -> Datasets:
        """Dataset versions: log, list, load, diff and validate (see docs/data.md)."""
        datasets_class = _registry.import_target("loopml.data:Datasets")
        return datasets_class(self.store)  # type: ignore[no-any-return]

    @cached_property
    def models(self) -> Models:
        """Model packages, the model registry (versions, aliases, history) and loading."""
        if self.is_remote:
            cls = _registry.import_target("loopml.remote.models:RemoteModels")
            return cast("Models", cls(self.transport, self.settings.home / "cache" / "remote"))
        models_class = _registry.import_target("loopml.models:Models")
        models: Models = models_class(self.store)
        return models

    @cached_property
    def auth(self) -> Auth:
        """Users, roles, API tokens, UI sessions and the audit log (see docs/auth.md)."""
        auth: Auth = _registry.import_target("loopml.auth:Auth")(self.store)
        return auth

    # ---------------------------------------------------------------- the loop (issue 12)
    @cached_property
    def ci(self) -> ModelCI:
        """Model CI: gates on a model version against its champion, stored verdicts."""
        ci_class = _registry.import_target("loopml.ci:ModelCI")
        ci: ModelCI = ci_class(self.store, self.models, self.datasets)
        return ci

    @cached_property
    def loops(self) -> Loops:
        """Closed loops: triggers, retraining, gates, canary, promotion and rollback."""
        parts = _registry.import_target("loopml.loop:Parts")(
            self.store,
            self.models,
            self.datasets,
            self.monitors,
            self.pipelines,
            self.ci,
            self.monitors.log,
            _registry.import_target("loopml.loop:LazyFeatures")(lambda: self.features),
        )
        loops: Loops = _registry.import_target("loopml.loop:Loops")(parts)
        return loops

    # ------------------------------------------------------------ lineage, tune (issue 14)
    @cached_property
    def lineages(self) -> Lineages:
        """Lineage queries, diffs and staleness over this store and its prediction log."""
        lineages: Lineages = _registry.import_target("loopml.lineage:Lineages")(
            self.store, self.settings
        )
        return lineages

    @cached_property
    def tuner(self) -> Tuner:
        """Hyper-parameter searches (Optuna studies in this store, trials as child runs)."""
        tuner: Tuner = _registry.import_target("loopml.training:Tuner")(self.store, self.settings)
        return tuner

    # ------------------------------------------------------------ end of lineage, tune

    # ---------------------------------------------------------------- scale (deploy, gc)
    @cached_property
    def deployer(self) -> Deployer:
        """Dockerfiles and Kubernetes/KServe manifests for registered models."""
        deployer: Deployer = _registry.import_target("loopml.deploy:Deployer")(self.models)
        return deployer

    @cached_property
    def housekeeping(self) -> Housekeeping:
        """Garbage collection of unreferenced blobs and retention of streams and results."""
        from loopml.store.housekeeping import Housekeeping  # imported on use (cold start)

        return Housekeeping(self.store, self.settings.extra.get("retention"))

    def database_status(self) -> dict[str, object]:
        """Return the database URL, its schema revisions and whether they are the latest."""
        from loopml.store import Database, migrations

        db = Database(self.settings.db_url, migrate=False)
        try:
            with db.read() as conn:
                found = sorted(migrations.current(conn))
        finally:
            db.dispose()
        latest = sorted(migrations.heads())
        return {
            "url": db.safe_url,
            "current": found,
            "latest": latest,
            "up_to_date": found == latest,
        }

    def upgrade_database(self) -> bool:
        """Apply pending schema migrations; return whether any were applied."""
        from loopml.store import Database, migrations

        db = Database(self.settings.db_url, migrate=False)
        try:
            return migrations.upgrade(db)
        finally:
            db.dispose()

    def close(self) -> None:
        """Flush buffered metrics and release database connections."""
        if "features" in self.__dict__:
            self.features.close()
        if "tuner" in self.__dict__:  # lineage, tune (issue 14)
            self.tuner.close()
        if "online_features" in self.__dict__:
            self.online_features.close()
        if "store" in self.__dict__:
            self.store.close()
        if "transport" in self.__dict__:
            self.transport.close()


#: ``/metrics`` collectors of other components that model servers expose (by string, so
#: that worker processes can import them and serving never imports monitoring).
METRICS_COLLECTORS = {"monitoring": "loopml.monitoring.prometheus:collector"}
#: hot-swap hooks of model servers (by string, like the collectors): a refused swap opens
#: a monitoring alert, a later successful swap of that route resolves it
SWAP_HOOKS = {
    "refused": "loopml.monitoring.serving_alerts:swap_refused",
    "recovered": "loopml.monitoring.serving_alerts:swap_succeeded",
}


def _loop_jobs(store: Store) -> JobSource:
    # The scheduler (in pipelines) ticks the closed loops; loopml.loop sits above pipelines.
    source: JobSource = _registry.import_target("loopml.loop.jobs:loop_jobs")(store)
    return source


def _monitor_jobs(store: Store) -> JobSource:
    # The scheduler (in pipelines) runs due monitors; monitoring sits above pipelines.
    source: JobSource = _registry.import_target("loopml.monitoring.jobs:monitor_jobs")(store)
    return source

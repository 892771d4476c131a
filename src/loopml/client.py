"""``Client``: one configured loopml, composing the component APIs (and nothing more).

Each component API is created on first access. Components other than tracking are
loaded by a ``"module:attribute"`` string, so using tracking never imports, for
example, the serving stack.
"""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from loopml import _registry, config
from loopml._utils.secrets import redact
from loopml.store import Database, Store, migrations
from loopml.store.housekeeping import Housekeeping
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from loopml.config import Settings
    from loopml.data import Datasets
    from loopml.deploy import Deployer
    from loopml.features import FeatureStore
    from loopml.features.service import OnlineService
    from loopml.models import ModelPackage, Models
    from loopml.monitoring import Monitoring
    from loopml.pipelines.api import Pipelines
    from loopml.serving.api import Serving
    from loopml.tracking import Run


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
        return Store.from_settings(self.settings)

    @cached_property
    def runs(self) -> Tracking:
        """Experiments, runs, search and artifacts."""
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
        serving: Serving = _registry.import_target("loopml.serving.api:Serving")(
            self.store, self.settings
        )
        return serving

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
        models_class = _registry.import_target("loopml.models:Models")
        models: Models = models_class(self.store)
        return models

    # ---------------------------------------------------------------- scale (deploy, gc)
    @cached_property
    def deployer(self) -> Deployer:
        """Dockerfiles and Kubernetes/KServe manifests for registered models."""
        deployer: Deployer = _registry.import_target("loopml.deploy:Deployer")(self.models)
        return deployer

    @cached_property
    def housekeeping(self) -> Housekeeping:
        """Garbage collection of unreferenced blobs and retention of streams and results."""
        return Housekeeping(self.store, self.settings.extra.get("retention"))

    def database_status(self) -> dict[str, object]:
        """Return the database URL, its schema revisions and whether they are the latest."""
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
        db = Database(self.settings.db_url, migrate=False)
        try:
            return migrations.upgrade(db)
        finally:
            db.dispose()

    def close(self) -> None:
        """Flush buffered metrics and release database connections."""
        if "features" in self.__dict__:
            self.features.close()
        if "online_features" in self.__dict__:
            self.online_features.close()
        if "store" in self.__dict__:
            self.store.close()

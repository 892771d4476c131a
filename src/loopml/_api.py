"""Module-level convenience functions over a default :class:`Client` (``lm.start_run``...).

The default client is created on first use from ``loopml.yaml`` and ``LOOPML_*``
variables; :func:`configure` replaces it.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from loopml import _registry
from loopml.client import Client
from loopml.errors import InvalidInput, NoActiveRun
from loopml.tracking import active_run as _active_run, flush_all, seed_everything

if TYPE_CHECKING:
    import datetime as dt
    import os
    from collections.abc import Callable, Mapping, Sequence

    from loopml.config import Settings
    from loopml.data import (
        Dataset,
        DatasetDiff,
        DatasetProfile,
        DatasetVersion,
        Schema,
        ValidationReport,
    )
    from loopml.data.api import Relation, Upstream
    from loopml.data.versions import VersionRef
    from loopml.lineage import Lineage
    from loopml.lineage.graph import Direction
    from loopml.models import (
        AliasChange,
        ModelPackage,
        ModelVersion,
        RegisteredModel,
    )
    from loopml.monitoring import (
        Alert,
        AlertEvent,
        DriftConfig,
        DriftReport,
        FeedbackResult,
        Monitor,
        MonitorInfo,
        QualityReport,
        Subscription,
        WindowResult,
    )
    from loopml.pipelines import PipelineInfo, PipelineRun, PipelineRunInfo
    from loopml.serving import BatchResult
    from loopml.serving.server import Built
    from loopml.tracking import ArtifactInfo, Experiment, Run, RunInfo
    from loopml.training import Trial, TuneResult
    from loopml.training.study import Direction as TuneDirection

__all__ = [
    "active_run",
    "alert_events",
    "alias_history",
    "build_server",
    "cancel_pipeline_run",
    "check_quality",
    "configure",
    "create_experiment",
    "current_client",
    "delete_alias",
    "delete_monitor",
    "detect_drift",
    "diff_datasets",
    "end_run",
    "flush",
    "get_client",
    "get_dataset_version",
    "get_experiment",
    "get_metric_history",
    "get_model_version",
    "get_monitor",
    "get_performance",
    "get_pipeline_run",
    "get_registered_model",
    "get_run",
    # lineage, reproduce, diff, status, tune (issue 14)
    "lineage",
    "list_alerts",
    "list_dataset_versions",
    "list_datasets",
    "list_experiments",
    "list_model_versions",
    "list_models",
    "list_monitors",
    "list_pipeline_runs",
    "load_dataset",
    "log_artifact",
    "log_artifacts",
    "log_dataset",
    "log_dict",
    "log_feedback",
    "log_feedback_batch",
    "log_figure",
    "log_metric",
    "log_metrics",
    "log_model",
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "monitor_results",
    "predict_batch",
    "predictions",
    "profile_data",
    "register_model",
    "register_pipeline",
    "resume_pipeline_run",
    "run_monitor",
    "save_monitor",
    "search_runs",
    "seed_everything",
    "serve",
    "set_alias",
    "set_dataset_schema",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
    "subscribe_alerts",
    "trigger_pipeline",
    "tune",
    "use_dataset",
    "validate",
]

_DEFAULT: list[Client] = []
_LOCK = threading.Lock()


def get_client() -> Client:
    """Return the default client, creating it from files and environment on first use."""
    if not _DEFAULT:
        with _LOCK:
            if not _DEFAULT:
                _DEFAULT.append(Client())
    return _DEFAULT[0]


def use_settings_if_unset(settings: Settings) -> Client:
    """Make a client for ``settings`` the default unless one exists (pipeline workers)."""
    if not _DEFAULT:
        with _LOCK:
            if not _DEFAULT:
                _DEFAULT.append(Client(settings))
    return _DEFAULT[0]


def configure(**settings: Any) -> Client:
    """Replace the default client with one built from ``settings`` (``db_url=``, ``home=``...).

    Example:
        >>> import loopml as lm
        >>> lm.configure(db_url="sqlite://", artifacts="memory://doc")  # doctest: +ELLIPSIS
        Client(db='sqlite://', ...)
    """
    client = Client(**settings)
    with _LOCK:
        old = list(_DEFAULT)
        _DEFAULT[:] = [client]
    for previous in old:
        previous.close()
    return client


def start_run(experiment: str | None = None, name: str | None = None, **options: Any) -> Run:
    """Start (or with ``run_id=`` resume) a run; see :meth:`loopml.tracking.Tracking.start_run`."""
    return get_client().runs.start_run(experiment, name, **options)


def active_run() -> Run | None:
    """Return the innermost active run, or ``None``."""
    return _active_run()


def end_run(status: str = "FINISHED") -> None:
    """End the active run."""
    _require_run().end(status)


def _require_run() -> Run:
    run = _active_run()
    if run is None:
        raise NoActiveRun(
            "no active run; start one with `with lm.start_run('experiment') as run:` first"
        )
    return run


def log_param(key: str, value: object) -> None:
    """Log a parameter on the active run."""
    _require_run().log_param(key, value)


def log_params(params: Mapping[str, object]) -> None:
    """Log parameters on the active run."""
    _require_run().log_params(params)


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    timestamp: int | float | dt.datetime | None = None,
) -> None:
    """Log a metric point on the active run."""
    _require_run().log_metric(key, value, step, timestamp)


def log_metrics(
    metrics: Mapping[str, float],
    step: int | None = None,
    timestamp: int | float | dt.datetime | None = None,
) -> None:
    """Log several metrics on the active run."""
    _require_run().log_metrics(metrics, step, timestamp)


def set_tag(key: str, value: object) -> None:
    """Set a tag on the active run."""
    _require_run().set_tag(key, value)


def set_tags(tags: Mapping[str, object]) -> None:
    """Set tags on the active run."""
    _require_run().set_tags(tags)


def log_artifact(path: str | os.PathLike[str], name: str | None = None) -> ArtifactInfo:
    """Store a file or folder as an artifact of the active run."""
    return _require_run().log_artifact(path, name)


def log_artifacts(folder: str | os.PathLike[str], prefix: str | None = None) -> list[ArtifactInfo]:
    """Store every file of a folder as artifacts of the active run."""
    return _require_run().log_artifacts(folder, prefix)


def log_dict(obj: Mapping[str, Any] | list[Any], name: str) -> ArtifactInfo:
    """Store JSON-ready data as an artifact of the active run."""
    return _require_run().log_dict(obj, name)


def log_text(text: str, name: str) -> ArtifactInfo:
    """Store text as an artifact of the active run."""
    return _require_run().log_text(text, name)


def log_table(frame: Any, name: str) -> ArtifactInfo:
    """Store a DataFrame as a parquet artifact of the active run."""
    return _require_run().log_table(frame, name)


def log_figure(figure: Any, name: str) -> ArtifactInfo:
    """Store a matplotlib figure as a PNG artifact of the active run."""
    return _require_run().log_figure(figure, name)


def flush() -> None:
    """Write every buffered metric point of this process now."""
    flush_all()


def set_experiment(name: str) -> Experiment:
    """Make ``name`` the experiment of later runs (created if missing)."""
    return get_client().runs.set_experiment(name)


def create_experiment(name: str, description: str | None = None) -> Experiment:
    """Create an experiment."""
    return get_client().runs.create_experiment(name, description)


def get_experiment(name_or_id: str | int) -> Experiment:
    """Return an experiment by name or id."""
    return get_client().runs.get_experiment(name_or_id)


def list_experiments() -> list[Experiment]:
    """Return all experiments."""
    return get_client().runs.list_experiments()


def get_run(run_id: str) -> RunInfo:
    """Return a run with its params, metrics and tags."""
    return get_client().runs.get_run(run_id)


def search_runs(
    experiment: str | int | Sequence[str | int] | None = None,
    filter: str | None = None,
    order_by: Sequence[str] | str | None = None,
    limit: int = 100,
    page_token: str | None = None,
    **options: Any,
) -> Any:
    """Search runs; see :meth:`loopml.tracking.Tracking.search_runs` and docs/search.md."""
    return get_client().runs.search_runs(experiment, filter, order_by, limit, page_token, **options)


def get_metric_history(run_id: str, key: str, **options: Any) -> Any:
    """Return every point of one metric of a run, by step."""
    return get_client().runs.get_metric_history(run_id, key, **options)


# ---------------------------------------------------------------------------- monitoring
def save_monitor(monitor: Monitor) -> MonitorInfo:
    """Store (or replace) a monitor; its reference is summarised once and stored."""
    return get_client().monitors.save(monitor)


def get_monitor(name: str) -> MonitorInfo:
    """Return a stored monitor."""
    return get_client().monitors.get(name)


def list_monitors() -> list[MonitorInfo]:
    """Return every stored monitor."""
    return get_client().monitors.list()


def delete_monitor(name: str) -> None:
    """Delete a monitor with its results and alerts."""
    get_client().monitors.delete(name)


def run_monitor(name: str, **options: Any) -> WindowResult:
    """Evaluate a monitor's window ending now (or ``at=``) and store the result."""
    return get_client().monitors.run(name, **options)


def monitor_results(name: str, **options: Any) -> list[WindowResult]:
    """Return a monitor's stored window results, oldest first (``since=``, ``until=``)."""
    return get_client().monitors.results(name, **options)


def list_alerts(monitor: str | None = None, *, status: str | None = "open") -> list[Alert]:
    """Return alerts (default: the open ones), newest first."""
    return get_client().monitors.alerts(monitor, status=status)


def alert_events(
    *, after: int = 0, monitor: str | None = None, limit: int = 1000
) -> list[AlertEvent]:
    """Return alert events after the cursor ``after`` (an event id), oldest first."""
    return get_client().monitors.alert_events(after=after, monitor=monitor, limit=limit)


def subscribe_alerts(callback: Callable[[AlertEvent], Any], **options: Any) -> Subscription:
    """Call ``callback(event)`` for each alert opened or resolved in this process."""
    return get_client().monitors.subscribe(callback, **options)


def log_feedback(prediction_id: str, label: Any, **options: Any) -> FeedbackResult:
    """Record the true outcome of a served prediction (the latest label per id wins)."""
    return get_client().monitors.log_feedback(prediction_id, label, **options)


def log_feedback_batch(data: Any, **options: Any) -> FeedbackResult:
    """Record many labels from a DataFrame, Arrow table, parquet/CSV path or list of dicts."""
    return get_client().monitors.log_feedback_batch(data, **options)


def get_performance(deployment: str, **options: Any) -> Any:
    """Return live performance per model version of a deployment (a DataFrame)."""
    return get_client().monitors.performance(deployment, **options)


def detect_drift(
    reference: Any, current: Any, config: DriftConfig | None = None, **options: Any
) -> DriftReport:
    """Compare ``current`` with ``reference`` (data or a fitted ``ReferenceSummary``).

    Extra keyword arguments (``columns=``, ``categorical=``) select and type the columns.
    """
    from loopml.monitoring import ReferenceSummary, detect_drift as _detect

    columns = options.pop("columns", None)
    if not isinstance(reference, ReferenceSummary):
        reference = ReferenceSummary.fit(reference, columns=columns, **options)
    return _detect(reference, current, config, columns=columns)


def check_quality(reference: Any, current: Any, **options: Any) -> QualityReport:
    """Check the data quality of ``current`` against ``reference`` (data or a summary)."""
    from loopml.monitoring import ReferenceSummary, check_quality as _check

    columns = options.pop("columns", None)
    if not isinstance(reference, ReferenceSummary):
        reference = ReferenceSummary.fit(reference, columns=columns, **options)
    return _check(reference, current, columns=columns)


# ---------------------------------------------------------------------------- serving
def serve(target: str, **options: Any) -> None:
    """Serve a model over HTTP until interrupted (``lm.serve("churn@champion", port=8000)``).

    Options are those of :class:`loopml.serving.ServeConfig` (``canary=``, ``shadow=``,
    ``max_batch_size=``, ``workers=``...).
    """
    get_client().serving.serve(target, **options)


def build_server(target: str, **options: Any) -> Built:
    """Load a model and build its ASGI app without serving it (``.app`` for any ASGI server)."""
    return get_client().serving.build(target, **options)


def predict_batch(target: str, input: Any, output: Any, **options: Any) -> BatchResult:
    """Score a parquet or CSV file with a registered model, streaming in chunks."""
    return get_client().serving.predict_batch(target, input, output, **options)


def predictions(
    deployment: str,
    since: dt.datetime | dt.timedelta | str | None = None,
    until: dt.datetime | dt.timedelta | str | None = None,
    **options: Any,
) -> Any:
    """Return the prediction log of a deployment as a DataFrame (``since="1h"`` works)."""
    return get_client().serving.predictions(deployment, since, until, **options)


# ---------------------------------------------------------------------------- datasets
def _run_id(run: Run | str | None) -> str | None:
    if run is None:
        active = _active_run()
        return None if active is None else active.id
    return run if isinstance(run, str) else run.id


def log_dataset(
    data: Any,
    name: str,
    *,
    description: str | None = None,
    metadata: Mapping[str, Any] | None = None,
    derived_from: Sequence[Upstream] = (),
    relation: Relation = "used",
    run: Run | str | None = None,
    schema: Schema | None = None,
    validate: bool = True,
) -> DatasetVersion:
    """Store ``data`` as an immutable, content-addressed version of dataset ``name``.

    Inside a run (or with ``run=``) the run is linked to the version:
    ``run --used--> dataset_version`` (``relation="produced"`` for outputs).
    Logging identical content again returns the existing version.

    Args:
        data: a pandas DataFrame, a pyarrow Table, or a parquet/CSV file or folder path.
        name: the dataset name.
        description: what this version is.
        metadata: JSON-ready facts about the version.
        derived_from: upstream dataset versions (``"raw@2"``, versions) or lineage nodes
            (``Node("feature_view", "activity/2")``) this data was computed from.
        relation: ``"used"`` or ``"produced"``: how the run relates to the version.
        run: the run to link (default: the active run, if any).
        schema: check new content first (default: the dataset's attached schema, if any);
            a failure raises :class:`~loopml.data.DataValidationError` and stores nothing.
        validate: set ``False`` to skip the schema check.

    Example:
        >>> v = lm.log_dataset(frame, "customers")  # doctest: +SKIP
        >>> lm.load_dataset("customers", version=v.version)  # doctest: +SKIP
    """
    return get_client().datasets.log_dataset(
        data,
        name,
        description=description,
        metadata=metadata,
        derived_from=derived_from,
        run_id=_run_id(run),
        relation=relation,
        schema=schema,
        validate=validate,
    )


def load_dataset(
    name: str | DatasetVersion,
    version: VersionRef = None,
    *,
    columns: Sequence[str] | None = None,
    output: str = "pandas",
    run: Run | str | None = None,
) -> Any:
    """Load a dataset version as a DataFrame (``output="arrow"``: a pyarrow Table).

    ``version`` is a number, ``"latest"`` (default) or a content digest prefix; ``name``
    may carry it (``"customers@3"``). Inside a run (or with ``run=``) the run is recorded
    as having used the version.
    """
    datasets = get_client().datasets
    found = name if not isinstance(name, str) else datasets.get_version(name, version)
    run_id = _run_id(run)
    if run_id is not None:
        datasets.link_run(run_id, found, "used")
    return datasets.load_dataset(found, columns=columns, output=output)  # type: ignore[arg-type]


def use_dataset(
    name: str,
    version: VersionRef = None,
    *,
    relation: Relation = "used",
    run: Run | str | None = None,
) -> DatasetVersion:
    """Record that the active run (or ``run``) used (or produced) a dataset version; return it."""
    datasets = get_client().datasets
    found = datasets.get_version(name, version)
    run_id = _run_id(run)
    if run_id is None:
        raise NoActiveRun(
            "use_dataset needs a run; call it inside `with lm.start_run(...):` or pass run="
        )
    datasets.link_run(run_id, found, relation)
    return found


def get_dataset_version(name: str, version: VersionRef = None) -> DatasetVersion:
    """Return a dataset version (``"latest"`` by default; ``"customers@3"`` works too)."""
    return get_client().datasets.get_version(name, version)


def list_datasets() -> list[Dataset]:
    """Return every dataset with its latest version number."""
    return get_client().datasets.list_datasets()


def list_dataset_versions(name: str) -> list[DatasetVersion]:
    """Return every version of a dataset, oldest first."""
    return get_client().datasets.list_versions(name)


def profile_data(data: Any, *, top_k: int = 10, bins: int = 20) -> DatasetProfile:
    """Profile a DataFrame, Arrow table, or parquet/CSV file or folder (no store needed)."""
    profile = _registry.import_target("loopml.data:profile")
    return profile(data, top_k=top_k, bins=bins)  # type: ignore[no-any-return]


def validate(
    data: Any,
    schema: Schema | None = None,
    *,
    raise_on_failure: bool = False,
) -> ValidationReport:
    """Check data against a schema and return a JSON-ready report (a pipeline gate).

    Args:
        data: a DataFrame, Arrow table, dict of columns, parquet/CSV path, a
            :class:`~loopml.data.DatasetVersion`, or a ``"name@version"`` reference.
        schema: the rules; for dataset versions the dataset's attached schema by default.
        raise_on_failure: raise :class:`~loopml.data.DataValidationError` (carrying the
            report) when any check fails.

    Example:
        >>> report = lm.validate(frame, lm.Schema.from_profile(reference.profile))  # doctest: +SKIP
        >>> report.passed, report.failed_columns  # doctest: +SKIP
    """
    validate_data = _registry.import_target("loopml.data:validate")
    version_class = _registry.import_target("loopml.data:DatasetVersion")
    if isinstance(data, version_class) or _is_dataset_ref(data):
        return get_client().datasets.validate(
            data, schema=schema, raise_on_failure=raise_on_failure
        )
    if schema is None:
        raise InvalidInput("validate needs schema= for data that is not a dataset version")
    return validate_data(data, schema, raise_on_failure=raise_on_failure)  # type: ignore[no-any-return]


def _is_dataset_ref(data: Any) -> bool:
    return isinstance(data, str) and "@" in data and not Path(data).exists()


def set_dataset_schema(name: str, schema: Schema | None) -> None:
    """Attach a schema to a dataset: every new version must pass it (``None`` removes it)."""
    get_client().datasets.set_schema(name, schema)


def diff_datasets(
    old: str | DatasetVersion, new: str | DatasetVersion | None = None
) -> DatasetDiff:
    """Compare two dataset versions (``"customers"`` alone: its two newest versions)."""
    return get_client().datasets.diff_versions(old, new)


# ---------------------------------------------------------------------- models
def log_model(model: object, name: str = "model", **options: Any) -> ModelPackage:
    """Package ``model`` as artifacts of the active run (see docs/models.md).

    Args:
        model: a fitted scikit-learn, XGBoost or LightGBM model, or an ``lm.PythonModel``.
        name: artifact path of the package inside the run.
        **options: ``example=``, ``signature=``, ``artifacts=``, ``code_paths=``,
            ``model_config=``, ``metadata=``, ``flavor=``.
    """
    return _require_run().log_model(model, name, **options)  # type: ignore[no-any-return]


def register_model(
    ref: str | ModelPackage | ModelVersion,
    name: str,
    description: str | None = None,
    tags: Mapping[str, object] | None = None,
) -> ModelVersion:
    """Register a logged package as the next version of ``name``."""
    return get_client().models.register_model(ref, name, description, tags)


def current_client() -> Client | None:
    """Return the default client if one was created (by ``configure`` or a call), else ``None``."""
    return _DEFAULT[0] if _DEFAULT else None


def set_alias(
    name: str, alias: str, version: int | str, *, reason: str | None = None
) -> AliasChange | None:
    """Point ``alias`` of model ``name`` at ``version`` (kept in the alias history)."""
    return get_client().models.set_alias(name, alias, version, reason=reason)


def delete_alias(name: str, alias: str, *, reason: str | None = None) -> AliasChange:
    """Remove an alias of model ``name`` (kept in the alias history)."""
    return get_client().models.delete_alias(name, alias, reason=reason)


def get_model_version(name: str, version_or_alias: int | str = "latest") -> ModelVersion:
    """Return a version of ``name`` by number, alias or ``"latest"``."""
    return get_client().models.get_model_version(name, version_or_alias)


def get_registered_model(name: str) -> RegisteredModel:
    """Return a registered model with its aliases and tags."""
    return get_client().models.get_registered_model(name)


def list_models(name_contains: str | None = None) -> list[RegisteredModel]:
    """Return the registered models."""
    return get_client().models.list_models(name_contains)


def list_model_versions(name: str) -> list[ModelVersion]:
    """Return the versions of ``name``, newest first."""
    return get_client().models.list_model_versions(name)


def alias_history(name: str, alias: str | None = None) -> list[AliasChange]:
    """Return the append-only history of alias changes of ``name``."""
    return get_client().models.alias_history(name, alias)


# ---------------------------------------------------------------------------- pipelines
def trigger_pipeline(
    name: str,
    params: Mapping[str, Any] | None = None,
    *,
    wait: bool = False,
    reason: str | None = None,
    source: str = "api",
) -> PipelineRunInfo:
    """Start a run of a registered pipeline on behalf of another component.

    With ``wait=False`` (default) the run is queued and the ``loopml scheduler`` runs it;
    with ``wait=True`` it runs here and the finished record is returned.
    """
    return get_client().pipelines.trigger(
        name, dict(params or {}), wait=wait, reason=reason, source=source
    )


def get_pipeline_run(run_id: str) -> PipelineRunInfo:
    """Return a pipeline run (id or unique prefix) with its step runs."""
    return get_client().pipelines.get_run(run_id)


def list_pipeline_runs(
    pipeline: str | None = None, status: str | None = None, limit: int = 50
) -> list[PipelineRunInfo]:
    """Return pipeline runs, newest first."""
    return get_client().pipelines.list_runs(pipeline, status, limit)


def resume_pipeline_run(run_id: str, **options: Any) -> PipelineRun:
    """Re-run a failed or cancelled pipeline run from its failed steps."""
    return get_client().pipelines.resume(run_id, **options)


def cancel_pipeline_run(run_id: str, *, force: bool = False) -> PipelineRunInfo:
    """Ask a running or queued pipeline run to stop (``force`` for a run whose driver died)."""
    return get_client().pipelines.cancel(run_id, force=force)


def register_pipeline(pipeline: Any) -> PipelineInfo:
    """Register a pipeline (a definition or ``module:name``) for schedules and triggers."""
    return get_client().pipelines.register(pipeline)


# ---------------------------------------------------------------------------- lineage (issue 14)
def lineage(reference: str, *, direction: Direction = "both", depth: int = 25) -> Lineage:
    """Return where ``reference`` came from and what came of it.

    Args:
        reference: a prediction id, a run id, a pipeline run id, ``churn@champion``,
            ``churn/3`` or ``models:/churn/3``, ``datasets:/customers/2``, or a dataset
            version's sha256.
        direction: ``upstream``, ``downstream`` or ``both``.
        depth: how many edges to follow each way.

    Returns:
        A :class:`loopml.Lineage`: nodes (with facts: digests, commit, lock...) and edges.

    Example:
        >>> graph = lm.lineage("churn@champion")  # doctest: +SKIP
        >>> [n.label for n in graph.of_type("dataset_version")]  # doctest: +SKIP
    """
    return get_client().lineages.get(reference, direction=direction, depth=depth)


# ---------------------------------------------------------------------------- tune (issue 14)
def tune(
    objective: Callable[[Trial], Any],
    space: Mapping[str, Any],
    *,
    n_trials: int = 20,
    direction: TuneDirection | list[TuneDirection] = "minimize",
    metric: str = "value",
    study: str | None = None,
    experiment: str | None = None,
    sampler: Any = None,
    pruner: Any = None,
    seed: int | None = None,
    n_jobs: int = 1,
    executor: str = "local",
    catch: tuple[type[BaseException], ...] = (),
) -> TuneResult:
    """Search ``space`` for the parameters that optimise ``objective`` (Optuna, tracked).

    The study is a run and each trial one of its child runs (params, the objective value as
    metric ``metric``, intermediate values from ``trial.report`` as its history); the study
    itself is stored in the metadata database, so the same ``study`` name resumes it.

    Args:
        objective: called with a :class:`loopml.Trial` (``trial.params``,
            ``trial.report(value, step)`` for pruning); returns the value to optimise.
        space: parameter -> ``(low, high)``, ``(low, high, "log")``, a list of choices or an
            Optuna distribution.
        n_trials: trials the study should hold when done (earlier ones count on resume).
        direction: ``minimize`` or ``maximize`` (a list for multi-objective studies).
        metric: name of the logged objective value.
        study: study name (default ``<experiment>-tune``); an existing study resumes.
        experiment: experiment of the study and trial runs.
        sampler: an Optuna sampler (default TPE seeded with ``seed``).
        pruner: an Optuna pruner (default median pruner).
        seed: seed of the default sampler.
        n_jobs: trials at once (threads for ``local``, processes, or Dask tasks).
        executor: ``local``, ``process`` or ``dask://host:port``.
        catch: exception types that fail a trial without stopping the search.

    Returns:
        A :class:`loopml.training.TuneResult` (best params, value, trial and run).

    Example:
        >>> result = lm.tune(lambda t: (t.params["x"] - 2) ** 2, {"x": (-10.0, 10.0)},
        ...                  n_trials=30)  # doctest: +SKIP
    """
    return get_client().tuner.tune(
        objective,
        space,
        n_trials=n_trials,
        direction=direction,
        metric=metric,
        study=study,
        experiment=experiment,
        sampler=sampler,
        pruner=pruner,
        seed=seed,
        n_jobs=n_jobs,
        executor=executor,
        catch=catch,
    )

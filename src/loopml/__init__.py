"""loopml: one-package MLOps, from tracking to the closed retraining loop.

``import loopml as lm`` is cheap: names load lazily on first use (PEP 562), so importing
the package pulls in no SQLAlchemy, pandas, pyarrow or FastAPI.

Example:
    >>> import loopml as lm
    >>> with lm.start_run("churn", params={"lr": 0.1}) as run:  # doctest: +SKIP
    ...     run.log_metric("auc", 0.91)
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

#: public name -> module that defines it
_EXPORTS: dict[str, str] = {
    # errors
    "LoopmlError": "loopml.errors",
    # configuration and client
    "Client": "loopml.client",
    "Settings": "loopml.config",
    "configure": "loopml._api",
    "get_client": "loopml._api",
    # features
    "DatasetSource": "loopml.features",
    "Entity": "loopml.features",
    "FeatureStore": "loopml.features",
    "FeatureView": "loopml.features",
    "FileSource": "loopml.features",
    "SqlSource": "loopml.features",
    # tracking
    "ArtifactInfo": "loopml.tracking",
    "Experiment": "loopml.tracking",
    "Metric": "loopml.tracking",
    "Run": "loopml.tracking",
    "RunInfo": "loopml.tracking",
    "active_run": "loopml._api",
    "create_experiment": "loopml._api",
    "end_run": "loopml._api",
    "flush": "loopml._api",
    "get_experiment": "loopml._api",
    "get_metric_history": "loopml._api",
    "get_run": "loopml._api",
    "list_experiments": "loopml._api",
    "log_artifact": "loopml._api",
    "log_artifacts": "loopml._api",
    "log_dict": "loopml._api",
    "log_figure": "loopml._api",
    "log_metric": "loopml._api",
    "log_metrics": "loopml._api",
    "log_param": "loopml._api",
    "log_params": "loopml._api",
    "log_table": "loopml._api",
    "log_text": "loopml._api",
    "search_runs": "loopml._api",
    "seed_everything": "loopml._api",
    "set_experiment": "loopml._api",
    "set_tag": "loopml._api",
    "set_tags": "loopml._api",
    "start_run": "loopml._api",
    # serving
    "build_server": "loopml._api",
    "predict_batch": "loopml._api",
    "predictions": "loopml._api",
    "serve": "loopml._api",
    # monitoring
    "DriftConfig": "loopml.monitoring",
    "Monitor": "loopml.monitoring",
    "ReferenceSummary": "loopml.monitoring",
    "Rule": "loopml.monitoring",
    "alert_events": "loopml._api",
    "check_quality": "loopml._api",
    "delete_monitor": "loopml._api",
    "detect_drift": "loopml._api",
    "get_monitor": "loopml._api",
    "get_performance": "loopml._api",
    "list_alerts": "loopml._api",
    "list_monitors": "loopml._api",
    "log_feedback": "loopml._api",
    "log_feedback_batch": "loopml._api",
    "monitor_results": "loopml._api",
    "run_monitor": "loopml._api",
    "save_monitor": "loopml._api",
    "subscribe_alerts": "loopml._api",
    # data
    "Dataset": "loopml.data",
    "DatasetProfile": "loopml.data",
    "DatasetVersion": "loopml.data",
    "ColumnProfile": "loopml.data",
    "DataValidationError": "loopml.data",
    "profile_data": "loopml._api",
    "get_dataset_version": "loopml._api",
    "list_dataset_versions": "loopml._api",
    "list_datasets": "loopml._api",
    "load_dataset": "loopml._api",
    "log_dataset": "loopml._api",
    "use_dataset": "loopml._api",
}

__all__ = [
    "ArtifactInfo",
    "Client",
    "ColumnProfile",
    "DataValidationError",
    "Dataset",
    "DatasetProfile",
    "DatasetSource",
    "DatasetVersion",
    "DriftConfig",
    "Entity",
    "Experiment",
    "FeatureStore",
    "FeatureView",
    "FileSource",
    "LoopmlError",
    "Metric",
    "Monitor",
    "ReferenceSummary",
    "Rule",
    "Run",
    "RunInfo",
    "Settings",
    "SqlSource",
    "__version__",
    "active_run",
    "alert_events",
    "build_server",
    "check_quality",
    "configure",
    "create_experiment",
    "delete_monitor",
    "detect_drift",
    "end_run",
    "flush",
    "get_client",
    "get_dataset_version",
    "get_experiment",
    "get_metric_history",
    "get_monitor",
    "get_performance",
    "get_run",
    "list_alerts",
    "list_dataset_versions",
    "list_datasets",
    "list_experiments",
    "list_monitors",
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
    "log_param",
    "log_params",
    "log_table",
    "log_text",
    "monitor_results",
    "predict_batch",
    "predictions",
    "profile_data",
    "run_monitor",
    "save_monitor",
    "search_runs",
    "seed_everything",
    "serve",
    "set_experiment",
    "set_tag",
    "set_tags",
    "start_run",
    "subscribe_alerts",
    "use_dataset",
]

if TYPE_CHECKING:
    from loopml._api import (
        active_run,
        alert_events,
        build_server,
        check_quality,
        configure,
        create_experiment,
        delete_monitor,
        detect_drift,
        end_run,
        flush,
        get_client,
        get_dataset_version,
        get_experiment,
        get_metric_history,
        get_monitor,
        get_performance,
        get_run,
        list_alerts,
        list_dataset_versions,
        list_datasets,
        list_experiments,
        list_monitors,
        load_dataset,
        log_artifact,
        log_artifacts,
        log_dataset,
        log_dict,
        log_feedback,
        log_feedback_batch,
        log_figure,
        log_metric,
        log_metrics,
        log_param,
        log_params,
        log_table,
        log_text,
        monitor_results,
        predict_batch,
        predictions,
        profile_data,
        run_monitor,
        save_monitor,
        search_runs,
        seed_everything,
        serve,
        set_experiment,
        set_tag,
        set_tags,
        start_run,
        subscribe_alerts,
        use_dataset,
    )
    from loopml.client import Client
    from loopml.config import Settings
    from loopml.data import (
        ColumnProfile,
        Dataset,
        DatasetProfile,
        DatasetVersion,
        DataValidationError,
    )
    from loopml.errors import LoopmlError
    from loopml.features import (
        DatasetSource,
        Entity,
        FeatureStore,
        FeatureView,
        FileSource,
        SqlSource,
    )
    from loopml.monitoring import DriftConfig, Monitor, ReferenceSummary, Rule
    from loopml.tracking import ArtifactInfo, Experiment, Metric, Run, RunInfo


def __getattr__(name: str) -> Any:
    module_name = _EXPORTS.get(name)
    if module_name is None:
        raise AttributeError(f"module 'loopml' has no attribute {name!r}")
    value = getattr(importlib.import_module(module_name), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_EXPORTS})

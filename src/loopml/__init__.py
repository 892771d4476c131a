"""loopml: one-package MLOps, from tracking to the closed retraining loop.

``import loopml as lm`` is cheap: the names below load on first use (PEP 562, see
:mod:`loopml._utils.lazy`), so importing the package pulls in no SQLAlchemy, pandas,
pyarrow or FastAPI. The ``TYPE_CHECKING`` block is the one list of public names: add a
name there (one line) and it is exported, typed and documented.

Example:
    >>> import loopml as lm
    >>> with lm.start_run("churn", params={"lr": 0.1}) as run:  # doctest: +SKIP
    ...     run.log_metric("auc", 0.91)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml import _hooks
from loopml._utils import lazy

if TYPE_CHECKING:
    # ---------------------------------------------------------------- package
    # ---------------------------------------------------------------- data
    from loopml._api.data import (
        diff_datasets as diff_datasets,
        get_dataset_version as get_dataset_version,
        list_dataset_versions as list_dataset_versions,
        list_datasets as list_datasets,
        load_dataset as load_dataset,
        log_dataset as log_dataset,
        profile_data as profile_data,
        set_dataset_schema as set_dataset_schema,
        use_dataset as use_dataset,
        validate as validate,
    )

    # ---------------------------------------------------------------- client and settings
    from loopml._api.default import (
        configure as configure,
        get_client as get_client,
    )

    # ---------------------------------------------------------------- scale: deploy, gc
    from loopml._api.deploy import (
        apply_retention as apply_retention,
        collect_garbage as collect_garbage,
        deploy_model as deploy_model,
    )

    # ---------------------------------------------------------------- lineage, tune (issue 14)
    from loopml._api.lineage import (
        diff as diff,
        lineage as lineage,
        reproduce as reproduce,
        status as status,
        tune as tune,
    )

    # ---------------------------------------------------------------- the loop and model CI
    from loopml._api.loop import (
        apply_loop as apply_loop,
        build_training_data as build_training_data,
        gate_verdicts as gate_verdicts,
        get_loop as get_loop,
        init_project as init_project,
        list_loops as list_loops,
        loop_runs as loop_runs,
        pause_loop as pause_loop,
        resume_loop as resume_loop,
        rollback as rollback,
        run_demo as run_demo,
        run_gates as run_gates,
        trigger_loop as trigger_loop,
    )

    # ---------------------------------------------------------------- models
    from loopml._api.models import (
        alias_history as alias_history,
        delete_alias as delete_alias,
        get_model_version as get_model_version,
        get_registered_model as get_registered_model,
        list_model_versions as list_model_versions,
        list_models as list_models,
        register_model as register_model,
        set_alias as set_alias,
    )

    # ---------------------------------------------------------------- monitoring
    from loopml._api.monitoring import (
        alert_events as alert_events,
        check_quality as check_quality,
        delete_monitor as delete_monitor,
        detect_drift as detect_drift,
        get_monitor as get_monitor,
        get_performance as get_performance,
        list_alerts as list_alerts,
        list_monitors as list_monitors,
        log_feedback as log_feedback,
        log_feedback_batch as log_feedback_batch,
        log_predictions as log_predictions,
        monitor_results as monitor_results,
        run_monitor as run_monitor,
        save_monitor as save_monitor,
        subscribe_alerts as subscribe_alerts,
    )

    # ---------------------------------------------------------------- pipelines
    from loopml._api.pipelines import (
        cancel_pipeline_run as cancel_pipeline_run,
        get_pipeline_run as get_pipeline_run,
        list_pipeline_runs as list_pipeline_runs,
        register_pipeline as register_pipeline,
        resume_pipeline_run as resume_pipeline_run,
        trigger_pipeline as trigger_pipeline,
    )

    # ---------------------------------------------------------------- serving
    from loopml._api.serving import (
        build_server as build_server,
        predict_batch as predict_batch,
        predictions as predictions,
        serve as serve,
    )

    # ---------------------------------------------------------------- tracking
    from loopml._api.tracking import (
        create_experiment as create_experiment,
        end_run as end_run,
        flush as flush,
        get_experiment as get_experiment,
        get_metric_history as get_metric_history,
        get_run as get_run,
        list_experiments as list_experiments,
        log_artifact as log_artifact,
        log_artifacts as log_artifacts,
        log_dict as log_dict,
        log_figure as log_figure,
        log_metric as log_metric,
        log_metrics as log_metrics,
        log_model as log_model,
        log_param as log_param,
        log_params as log_params,
        log_table as log_table,
        log_text as log_text,
        search_runs as search_runs,
        set_experiment as set_experiment,
        set_tag as set_tag,
        set_tags as set_tags,
        start_run as start_run,
    )
    from loopml._version import __version__ as __version__
    from loopml.ci import (
        BeatsChampion as BeatsChampion,
        BehaviouralTests as BehaviouralTests,
        CompatibleSignature as CompatibleSignature,
        DataValidation as DataValidation,
        GateResult as GateResult,
        LatencyBudget as LatencyBudget,
        MetricFloor as MetricFloor,
        SliceFloor as SliceFloor,
        Verdict as Verdict,
    )
    from loopml.client import Client as Client
    from loopml.config import Settings as Settings
    from loopml.data import (
        ColumnProfile as ColumnProfile,
        ColumnSchema as ColumnSchema,
        Dataset as Dataset,
        DatasetDiff as DatasetDiff,
        DatasetProfile as DatasetProfile,
        DatasetVersion as DatasetVersion,
        DataValidationError as DataValidationError,
        Expectation as Expectation,
        Schema as Schema,
        ValidationReport as ValidationReport,
    )
    from loopml.errors import LoopmlError as LoopmlError

    # ---------------------------------------------------------------- features
    from loopml.features import (
        DatasetSource as DatasetSource,
        Entity as Entity,
        FeatureStore as FeatureStore,
        FeatureView as FeatureView,
        FileSource as FileSource,
        SqlSource as SqlSource,
    )
    from loopml.lineage import Lineage as Lineage
    from loopml.loop import (
        Loop as Loop,
        Rollout as Rollout,
        TrainingData as TrainingData,
        Trigger as Trigger,
    )
    from loopml.models import (
        AliasChange as AliasChange,
        ColumnSpec as ColumnSpec,
        LoadedModel as LoadedModel,
        ModelPackage as ModelPackage,
        ModelVersion as ModelVersion,
        PythonModel as PythonModel,
        PythonModelContext as PythonModelContext,
        RegisteredModel as RegisteredModel,
        Signature as Signature,
        SignatureMismatch as SignatureMismatch,
        infer_signature as infer_signature,
        load_model as load_model,
    )
    from loopml.monitoring import (
        DriftConfig as DriftConfig,
        Monitor as Monitor,
        ReferenceSummary as ReferenceSummary,
        Rule as Rule,
    )
    from loopml.pipelines import (
        FunctionMaterializer as FunctionMaterializer,
        Pipeline as Pipeline,
        PipelineRun as PipelineRun,
        PipelineRunInfo as PipelineRunInfo,
        Scheduler as Scheduler,
        Step as Step,
        StepRunInfo as StepRunInfo,
        pipeline as pipeline,
        register_materializer as register_materializer,
        step as step,
    )
    from loopml.tracking import (
        ArtifactInfo as ArtifactInfo,
        Experiment as Experiment,
        Metric as Metric,
        Run as Run,
        RunInfo as RunInfo,
        active_run as active_run,
        seed_everything as seed_everything,
    )
    from loopml.training import Trial as Trial, TuneResult as TuneResult

else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)
    # ``lm.lineage(...)`` is a function and ``loopml.lineage`` a package: importing the
    # package must not replace the function on ``loopml`` (see lazy.keep_functions).
    lazy.keep_functions(__name__, {"lineage"})
    # The one upward hook: components reach lm's default client through loopml._hooks.
    _hooks.register_client_factory(lambda settings: __getattr__("Client")(settings))

"""REST models of datasets, pipelines, feature views, monitors and deployments."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from loopml.server.schemas.common import JsonFloat, Model, jsonable


class FromEntity(Model):
    """A model read from a loopml entity through its JSON form."""

    @classmethod
    def of(cls, entity: Any) -> Any:
        """Build from an entity (dataclass) of the Python API."""
        return cls.model_validate(jsonable(entity))


class DatasetOut(FromEntity):
    """A dataset: a name with immutable, content-addressed versions."""

    id: int
    name: str
    description: str | None = None
    created_at: int
    updated_at: int
    latest_version: int | None = None
    num_versions: int
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")


class DatasetVersionOut(FromEntity):
    """One version of a dataset, with its profile."""

    name: str
    version: int
    digest: str
    blob_digest: str
    size_bytes: int
    num_rows: int
    num_columns: int
    columns: dict[str, str]
    column_digests: dict[str, str]
    profile: dict[str, Any]
    created_at: int
    source: str | None = None
    description: str | None = None
    metadata: dict[str, Any] = Field(default_factory=dict)
    run_id: str | None = None


class DiffOut(Model):
    """A comparison of two dataset versions."""

    diff: dict[str, Any]


class PipelineOut(FromEntity):
    """A registered pipeline."""

    name: str
    target: str | None = None
    description: str | None = None
    schedule: str | None = None
    timezone: str
    schedule_enabled: bool
    params: dict[str, Any]
    created_at: int
    updated_at: int
    graph: dict[str, Any] | None = None


class StepRunOut(FromEntity):
    """One step of a pipeline run."""

    id: str
    pipeline_run_id: str
    name: str
    step: str
    function: str
    status: str
    position: int
    upstream: list[str]
    attempt: int
    attempts: list[dict[str, Any]]
    cache_key: str | None = None
    cache_parts: dict[str, Any] | None = None
    cache_note: str | None = None
    cached_from: str | None = None
    run_id: str | None = None
    inputs: dict[str, Any]
    outputs: list[dict[str, Any]]
    logs_digest: str | None = None
    start_time: int | None = None
    end_time: int | None = None
    error: str | None = None


class PipelineRunOut(FromEntity):
    """A pipeline run with its steps."""

    id: str
    pipeline: str
    status: str
    params: dict[str, Any]
    executor: str
    cache: bool
    trigger: str
    trigger_info: dict[str, Any] | None = None
    resumed_from: str | None = None
    target: str | None = None
    graph: dict[str, Any] | None = None
    outputs: Any = None
    run_id: str | None = None
    created_at: int
    start_time: int | None = None
    end_time: int | None = None
    cancel_requested: bool
    error: str | None = None
    steps: list[StepRunOut] = Field(default_factory=list)


class PipelineTrigger(Model):
    """Queue a run of a registered pipeline (the scheduler in ``loopml up`` starts it)."""

    params: dict[str, Any] = Field(default_factory=dict)
    reason: str | None = Field(default=None, max_length=10_000)


class TextOut(Model):
    """Text: a step's logs or a rendered graph."""

    text: str


class FeatureViewOut(FromEntity):
    """One registered version of a feature view."""

    name: str
    version: int
    digest: str
    storage_digest: str
    view: dict[str, Any]
    schema_: dict[str, str] = Field(alias="schema")
    created_at: int


class EntityOut(FromEntity):
    """A registered entity."""

    name: str
    version: int
    entity: dict[str, Any]
    created_at: int


class OnlineRequest(Model):
    """Look up online features: entity keys and ``view:feature`` references."""

    entities: dict[str, list[Any]] = Field(examples=[{"customer_id": [1, 2]}])
    features: list[str] = Field(min_length=1, examples=[["activity:orders_7d"]])
    full_names: bool = False


class OnlineOut(Model):
    """Columns of values, one per entity (``null`` where there is none)."""

    columns: dict[str, list[Any]]


class MonitorOut(FromEntity):
    """A monitor: what it watches, its windows, rules and channels."""

    name: str
    deployment: str
    reference_digest: str
    features: list[str]
    categorical: list[str]
    window: float = Field(description="seconds")
    schedule: str | None = None
    rules: list[dict[str, Any]]
    drift: dict[str, Any]
    task: str | None = None
    positive_label: str | None = None
    channels: list[dict[str, Any]]
    label_delay: float = Field(description="seconds")
    schema_: dict[str, Any] | None = Field(default=None, alias="schema")
    paused: bool
    created_at: int
    updated_at: int


class WindowResultOut(FromEntity):
    """The evaluation of one monitor window."""

    monitor: str
    window_start: str
    window_end: str
    evaluated_at: str
    status: str
    rows: int
    labelled: int
    drift_share: JsonFloat | None = None
    metrics: dict[str, JsonFloat | None]
    detail: dict[str, Any] = Field(default_factory=dict)
    message: str | None = None
    outcomes: list[dict[str, Any]] = Field(default_factory=list)


class AlertOut(FromEntity):
    """An alert opened by a monitor rule."""

    id: int
    monitor: str
    rule: str
    severity: str
    status: str
    opened_at: str
    last_seen_at: str
    resolved_at: str | None = None
    window_end: str
    value: JsonFloat | None = None
    message: str


class AlertEventOut(FromEntity):
    """An alert opened or resolved (poll with ``after=<last id>``)."""

    id: int
    alert_id: int
    monitor: str
    rule: str
    kind: str
    severity: str
    at: str
    value: JsonFloat | None = None
    message: str = ""


class MonitorRun(Model):
    """Evaluate a monitor window now."""

    window_end: str | None = Field(default=None, description="ISO time; default: now")


class Feedback(Model):
    """The true outcome of one prediction."""

    prediction_id: str = Field(min_length=1, max_length=256)
    label: Any
    deployment: str | None = Field(default=None, max_length=256)
    time: int | None = Field(default=None, ge=0, lt=2**63, description="epoch ms")


class FeedbackOut(FromEntity):
    """What a feedback call recorded: rows written and ids skipped as unknown."""

    written: int
    unknown: list[str] = Field(default_factory=list)


class RowsOut(Model):
    """Rows of a table (predictions, performance)."""

    rows: list[dict[str, Any]]

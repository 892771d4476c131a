"""Request and response bodies of the MLflow-compatible API (the fields MLflow sends).

Unknown fields are ignored, as MLflow's own server ignores them.
"""

from __future__ import annotations

from typing import Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
)


class Message(BaseModel):
    """Base: unknown fields are ignored; unset (``None``) fields are left out of answers."""

    model_config = ConfigDict(extra="ignore")

    @model_serializer(mode="wrap")
    def _drop_none(self, handler: SerializerFunctionWrapHandler) -> Any:
        # MLflow's client reads absent fields as unset; an explicit null breaks some parsers.
        data = handler(self)
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v is not None}
        return data


class KeyValue(Message):
    """A param or tag."""

    key: str = Field(max_length=1000)
    value: str = Field(default="", max_length=100_000)


class MetricIn(Message):
    """A metric point."""

    key: str = Field(max_length=1000)
    value: float
    timestamp: int = Field(ge=0, lt=2**63)
    step: int = Field(default=0, ge=-(2**63), lt=2**63)


class CreateExperiment(Message):
    """``experiments/create``."""

    name: str = Field(min_length=1, max_length=256)
    artifact_location: str | None = None
    tags: list[KeyValue] = Field(default_factory=list)


class ExperimentId(Message):
    """A request naming one experiment."""

    experiment_id: str = Field(max_length=64)


class UpdateExperiment(Message):
    """``experiments/update``."""

    experiment_id: str = Field(max_length=64)
    new_name: str = Field(min_length=1, max_length=256)


class SearchExperiments(Message):
    """``experiments/search``."""

    max_results: int = Field(default=1000, ge=1, le=50_000)
    page_token: str | None = Field(default=None, max_length=1000)
    filter: str | None = Field(default=None, max_length=10_000)
    order_by: list[str] = Field(default_factory=list)
    view_type: str | int | None = None


class CreateRun(Message):
    """``runs/create``."""

    experiment_id: str = Field(default="0", max_length=64)
    user_id: str | None = Field(default=None, max_length=256)
    run_name: str | None = Field(default=None, max_length=256)
    start_time: int | None = Field(default=None, ge=0, lt=2**63)
    tags: list[KeyValue] = Field(default_factory=list)


class UpdateRun(Message):
    """``runs/update``."""

    run_id: str | None = Field(default=None, max_length=64)
    run_uuid: str | None = Field(default=None, max_length=64)
    status: str | None = Field(default=None, max_length=16)
    end_time: int | None = Field(default=None, ge=0, lt=2**63)
    run_name: str | None = Field(default=None, max_length=256)


class RunId(Message):
    """A request naming one run."""

    run_id: str = Field(max_length=64)


class LogMetric(Message):
    """``runs/log-metric``."""

    run_id: str | None = Field(default=None, max_length=64)
    run_uuid: str | None = Field(default=None, max_length=64)
    key: str = Field(max_length=1000)
    value: float
    timestamp: int = Field(ge=0, lt=2**63)
    step: int = Field(default=0, ge=-(2**63), lt=2**63)


class LogParam(Message):
    """``runs/log-parameter``."""

    run_id: str | None = Field(default=None, max_length=64)
    run_uuid: str | None = Field(default=None, max_length=64)
    key: str = Field(max_length=1000)
    value: str = Field(max_length=100_000)


class SetTag(LogParam):
    """``runs/set-tag``."""


class DeleteTag(Message):
    """``runs/delete-tag``."""

    run_id: str = Field(max_length=64)
    key: str = Field(max_length=1000)


class LogBatch(Message):
    """``runs/log-batch``."""

    run_id: str = Field(max_length=64)
    metrics: list[MetricIn] = Field(default_factory=list, max_length=1_000_000)
    params: list[KeyValue] = Field(default_factory=list, max_length=100_000)
    tags: list[KeyValue] = Field(default_factory=list, max_length=100_000)


class SearchRuns(Message):
    """``runs/search``."""

    experiment_ids: list[str] = Field(default_factory=list, max_length=1000)
    filter: str | None = Field(default=None, max_length=10_000)
    run_view_type: str | int | None = None
    max_results: int = Field(default=1000, ge=1, le=50_000)
    order_by: list[str] = Field(default_factory=list)
    page_token: str | None = Field(default=None, max_length=1000)


class Empty(Message):
    """An empty answer."""


class AnyBody(Message):
    """An answer documented by MLflow's protocol (an object)."""

    model_config = ConfigDict(extra="allow")


def body(**fields: Any) -> dict[str, Any]:
    """Return the JSON answer (a plain dict; MLflow's client reads it as protobuf JSON)."""
    return fields


class ExperimentIdOut(Message):
    """``experiments/create`` answer."""

    experiment_id: str


class ExperimentOut(Message):
    """An answer holding one experiment."""

    experiment: dict[str, Any]


class ExperimentsOut(Message):
    """``experiments/search`` answer."""

    experiments: list[dict[str, Any]]
    next_page_token: str | None = None


class RunOut(Message):
    """An answer holding one run."""

    run: dict[str, Any]


class RunInfoOut(Message):
    """``runs/update`` answer."""

    run_info: dict[str, Any]


class RunsOut(Message):
    """``runs/search`` answer."""

    runs: list[dict[str, Any]]
    next_page_token: str | None = None


class MetricsOut(Message):
    """``metrics/get-history`` answer."""

    metrics: list[dict[str, Any]]
    next_page_token: str | None = None


class CreateRegisteredModel(Message):
    """``registered-models/create``."""

    name: str = Field(min_length=1, max_length=256)
    tags: list[KeyValue] = Field(default_factory=list)
    description: str | None = Field(default=None, max_length=100_000)


class UpdateRegisteredModel(Message):
    """``registered-models/update``."""

    name: str = Field(min_length=1, max_length=256)
    description: str | None = Field(default=None, max_length=100_000)


class ModelTag(Message):
    """``registered-models/set-tag`` and ``delete-tag``."""

    name: str = Field(min_length=1, max_length=256)
    key: str = Field(max_length=1000)
    value: str = Field(default="", max_length=100_000)


class LatestVersions(Message):
    """``registered-models/get-latest-versions``."""

    name: str = Field(min_length=1, max_length=256)
    stages: list[str] = Field(default_factory=list)


class SetAlias(Message):
    """``registered-models/alias`` (POST)."""

    name: str = Field(min_length=1, max_length=256)
    alias: str = Field(min_length=1, max_length=256)
    version: str = Field(max_length=32)


class DeleteAlias(Message):
    """``registered-models/alias`` (DELETE)."""

    name: str = Field(min_length=1, max_length=256)
    alias: str = Field(min_length=1, max_length=256)


class CreateModelVersion(Message):
    """``model-versions/create``."""

    name: str = Field(min_length=1, max_length=256)
    source: str = Field(min_length=1, max_length=2048)
    run_id: str | None = Field(default=None, max_length=64)
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: str | None = Field(default=None, max_length=2048)
    description: str | None = Field(default=None, max_length=100_000)


class VersionRef(Message):
    """A request naming one model version."""

    name: str = Field(min_length=1, max_length=256)
    version: str = Field(max_length=32)


class UpdateModelVersion(VersionRef):
    """``model-versions/update``."""

    description: str | None = Field(default=None, max_length=100_000)


class VersionTag(VersionRef):
    """``model-versions/set-tag`` and ``delete-tag``."""

    key: str = Field(max_length=1000)
    value: str = Field(default="", max_length=100_000)


class RegisteredModelOut(Message):
    """An answer holding one registered model."""

    registered_model: dict[str, Any]


class RegisteredModelsOut(Message):
    """``registered-models/search`` answer."""

    registered_models: list[dict[str, Any]]
    next_page_token: str | None = None


class ModelVersionOut(Message):
    """An answer holding one model version."""

    model_version: dict[str, Any]


class ModelVersionsOut(Message):
    """An answer holding model versions."""

    model_versions: list[dict[str, Any]]
    next_page_token: str | None = None


class DownloadUriOut(Message):
    """``model-versions/get-download-uri`` answer."""

    artifact_uri: str


class ArtifactFile(Message):
    """One entry of an artifact listing."""

    path: str
    is_dir: bool
    file_size: int | None = None


class ArtifactFilesOut(Message):
    """``mlflow-artifacts`` listing answer."""

    files: list[ArtifactFile] = Field(default_factory=list)


class SearchLoggedModels(Message):
    """``logged-models/search``."""

    experiment_ids: list[str] = Field(default_factory=list, max_length=1000)
    filter: str | None = Field(default=None, max_length=10_000)
    max_results: int | None = Field(default=None, ge=1, le=50_000)
    page_token: str | None = Field(default=None, max_length=1000)


class LoggedModelsOut(Message):
    """``logged-models/search`` answer."""

    models: list[dict[str, Any]] = Field(default_factory=list)
    next_page_token: str | None = None

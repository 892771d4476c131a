"""REST models of tracking: experiments, runs, metrics, artifacts and searches."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from loopml.server.schemas.common import JsonFloat, Model

Status = Literal["RUNNING", "FINISHED", "FAILED", "KILLED"]


class ExperimentOut(Model):
    """An experiment."""

    id: int
    name: str
    description: str | None = None
    created_at: int
    deleted_at: int | None = None


class ExperimentCreate(Model):
    """Create an experiment."""

    name: str = Field(min_length=1, max_length=256, examples=["churn"])
    description: str | None = Field(default=None, max_length=10_000)


class ExperimentUpdate(Model):
    """Rename an experiment."""

    name: str = Field(min_length=1, max_length=256)


class RunOut(Model):
    """A run with its params, latest metrics and tags."""

    id: str
    experiment_id: int
    experiment: str
    name: str
    status: str
    start_time: int
    end_time: int | None = None
    user: str
    parent_id: str | None = None
    pipeline_run_id: str | None = None
    step_name: str | None = None
    source: str | None = None
    git_commit: str | None = None
    git_branch: str | None = None
    git_dirty: bool | None = None
    git_diff_digest: str | None = None
    env_digest: str | None = None
    python_version: str | None = None
    platform: str | None = None
    seed: int | None = None
    error: str | None = None
    deleted_at: int | None = None
    params: dict[str, str] = Field(default_factory=dict)
    metrics: dict[str, JsonFloat] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class RunCreate(Model):
    """Start a run."""

    experiment: str | int | None = Field(default=None, description="name or id; default: 'default'")
    name: str | None = Field(default=None, max_length=256)
    user: str | None = Field(default=None, max_length=256)
    parent_id: str | None = Field(default=None, max_length=64)
    pipeline_run_id: str | None = Field(default=None, max_length=64)
    step_name: str | None = Field(default=None, max_length=256)
    source: str | None = Field(default=None, max_length=1024)
    start_time: int | None = Field(default=None, ge=0, lt=2**63)
    seed: int | None = Field(default=None, ge=0, lt=2**32)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class ResumedRun(Model):
    """A resumed run: its record, params and the next step of each metric."""

    run: RunOut
    params: dict[str, str]
    next_steps: dict[str, int]


class MetricPoint(Model):
    """One metric point."""

    key: str
    value: JsonFloat
    step: int = Field(ge=-(2**63), lt=2**63)
    timestamp: int = Field(ge=0, lt=2**63, description="epoch milliseconds")


class LogBatch(Model):
    """Metric points, params and tags written in one transaction."""

    metrics: list[MetricPoint] = Field(default_factory=list, max_length=1_000_000)
    params: dict[str, str] = Field(default_factory=dict)
    tags: dict[str, str] = Field(default_factory=dict)


class Logged(Model):
    """How much a batch wrote."""

    metrics: int
    params: int
    tags: int


class RunEnd(Model):
    """End a run."""

    status: Literal["FINISHED", "FAILED", "KILLED"] = "FINISHED"
    error: str | None = Field(default=None, max_length=100_000)
    end_time: int | None = Field(default=None, ge=0, lt=2**63)


class RunSearch(Model):
    """A run search (the filter language of docs/search.md)."""

    experiments: list[str | int] | None = Field(default=None, description="names or ids")
    filter: str | None = Field(default=None, max_length=10_000, examples=["metrics.acc > 0.9"])
    order_by: list[str] | None = Field(default=None, examples=[["metrics.acc desc"]])
    limit: int = Field(default=100, ge=1, le=50_000)
    page_token: str | None = Field(default=None, max_length=1000)
    include_deleted: bool = False


class RunPageOut(Model):
    """A page of runs; pass ``next_page_token`` back for the next one."""

    runs: list[RunOut]
    next_page_token: str | None = None


class MetricOut(Model):
    """A point of a metric's history."""

    key: str
    value: JsonFloat
    step: int
    timestamp: int


class ArtifactOut(Model):
    """An artifact of a run."""

    path: str
    digest: str
    size: int
    media_type: str
    created_at: int


class ArtifactRecord(Model):
    """Record a blob (already uploaded to the artifact store) as an artifact of a run."""

    path: str = Field(min_length=1, max_length=1024)
    digest: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(ge=0)
    media_type: str = Field(default="application/octet-stream", max_length=256)


class CountOut(Model):
    """A count."""

    count: int


class GitIn(Model):
    """The git state of a run's code."""

    commit: str | None = Field(default=None, max_length=64)
    branch: str | None = Field(default=None, max_length=1024)
    dirty: bool | None = None
    diff: str = Field(default="", max_length=20_000_000)
    root: str | None = Field(default=None, max_length=4096)
    skipped_untracked: list[str] = Field(default_factory=list, max_length=10_000)


class EnvironmentIn(Model):
    """The interpreter and packages a run used."""

    python_version: str = Field(max_length=256)
    platform: str = Field(max_length=1024)
    executable: str = Field(default="", max_length=4096)
    packages: list[str] = Field(default_factory=list, max_length=100_000)
    details: dict[str, Any] = Field(default_factory=dict)


class CaptureIn(Model):
    """What a remote client captured about a run's code and environment."""

    git: GitIn
    environment: EnvironmentIn

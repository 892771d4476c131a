"""loopml entities as MLflow's JSON messages (the shapes ``mlflow``'s REST store parses)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from loopml.models.entities import ModelVersion, RegisteredModel
    from loopml.tracking.entities import Experiment, Metric, RunInfo

DEFAULT_EXPERIMENT_ID = "0"
RUN_NAME_TAG = "mlflow.runName"
USER_TAG = "mlflow.user"
PARENT_TAG = "mlflow.parentRunId"
_TERMINAL = {"FINISHED", "FAILED", "KILLED"}


def experiment(e: Experiment) -> dict[str, Any]:
    """MLflow ``Experiment``."""
    return {
        "experiment_id": str(e.id),
        "name": e.name,
        "artifact_location": f"mlflow-artifacts:/{e.id}",
        "lifecycle_stage": "deleted" if e.deleted_at is not None else "active",
        "creation_time": e.created_at,
        "last_update_time": e.deleted_at or e.created_at,
        "tags": [{"key": "mlflow.note.content", "value": e.description}] if e.description else [],
    }


def artifact_uri(experiment_id: int, run_id: str) -> str:
    """The ``mlflow-artifacts:`` URI of a run's artifact root."""
    return f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"


def run_info(r: RunInfo) -> dict[str, Any]:
    """MLflow ``RunInfo``."""
    info: dict[str, Any] = {
        "run_id": r.id,
        "run_uuid": r.id,
        "run_name": r.name,
        "experiment_id": str(r.experiment_id),
        "user_id": r.user,
        "status": r.status if r.status in _TERMINAL or r.status == "RUNNING" else "SCHEDULED",
        "start_time": r.start_time,
        "artifact_uri": artifact_uri(r.experiment_id, r.id),
        "lifecycle_stage": "deleted" if r.deleted_at is not None else "active",
    }
    if r.end_time is not None:
        info["end_time"] = r.end_time
    return info


def run(r: RunInfo, metric_times: dict[str, tuple[int, int]] | None = None) -> dict[str, Any]:
    """MLflow ``Run``: info, data (latest metrics, params, tags) and empty inputs."""
    times = metric_times or {}
    tags = dict(r.tags)
    tags.setdefault(RUN_NAME_TAG, r.name)
    tags.setdefault(USER_TAG, r.user)
    if r.parent_id:
        tags.setdefault(PARENT_TAG, r.parent_id)
    metrics = [
        {
            "key": key,
            "value": number(value),
            "step": times.get(key, (0, r.start_time))[0],
            "timestamp": times.get(key, (0, r.start_time))[1],
        }
        for key, value in sorted(r.metrics.items())
    ]
    return {
        "info": run_info(r),
        "data": {
            "metrics": metrics,
            "params": [{"key": k, "value": v} for k, v in sorted(r.params.items())],
            "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        },
        "inputs": {},
    }


def metric(m: Metric) -> dict[str, Any]:
    """MLflow ``Metric``."""
    return {"key": m.key, "value": number(m.value), "step": m.step, "timestamp": m.timestamp}


def number(value: float) -> float | str:
    """A float as protobuf JSON writes it (``"NaN"``, ``"Infinity"`` for non-finite)."""
    if math.isfinite(value):
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def model_version(v: ModelVersion) -> dict[str, Any]:
    """MLflow ``ModelVersion``."""
    out: dict[str, Any] = {
        "name": v.name,
        "version": str(v.version),
        "creation_timestamp": v.created_at,
        "last_updated_timestamp": v.created_at,
        "user_id": v.created_by,
        "current_stage": "None",
        "description": v.description or "",
        "source": v.source,
        "status": "READY",
        "tags": [{"key": k, "value": val} for k, val in sorted(v.tags.items())],
        "aliases": list(v.aliases),
    }
    if v.run_id:
        out["run_id"] = v.run_id
    return out


def registered_model(
    model: RegisteredModel, latest: list[ModelVersion] | None = None
) -> dict[str, Any]:
    """MLflow ``RegisteredModel``."""
    return {
        "name": model.name,
        "creation_timestamp": model.created_at,
        "last_updated_timestamp": model.updated_at,
        "user_id": model.created_by,
        "description": model.description or "",
        "latest_versions": [model_version(v) for v in latest or []],
        "tags": [{"key": k, "value": v} for k, v in sorted(model.tags.items())],
        "aliases": [{"alias": a, "version": str(v)} for a, v in sorted(model.aliases.items())],
    }

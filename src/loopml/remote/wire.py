"""JSON of the REST API <-> the entities of the Python API (pure)."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from loopml.models.entities import AliasChange, ModelVersion, RegisteredModel
from loopml.models.signatures import Signature
from loopml.tracking.entities import ArtifactInfo, Experiment, Metric, RunInfo

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.tracking.capture import Capture

_RUN_FIELDS = frozenset(RunInfo.__dataclass_fields__)


def number(value: Any) -> float:
    """A JSON float that may be ``"NaN"``, ``"Infinity"`` or ``null`` (NaN)."""
    return math.nan if value is None else float(value)


def shown(value: float) -> float | str:
    """A float as JSON carries it (non-finite values as text)."""
    if math.isfinite(value):
        return value
    return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")


def experiment(data: Mapping[str, Any]) -> Experiment:
    """An :class:`Experiment` from its JSON."""
    return Experiment(
        id=int(data["id"]),
        name=str(data["name"]),
        description=data.get("description"),
        created_at=int(data["created_at"]),
        deleted_at=data.get("deleted_at"),
    )


def run_info(data: Mapping[str, Any]) -> RunInfo:
    """A :class:`RunInfo` from its JSON."""
    fields = {k: val for k, val in data.items() if k in _RUN_FIELDS}
    fields["metrics"] = {k: number(val) for k, val in data.get("metrics", {}).items()}
    return RunInfo(**fields)


def metric(data: Mapping[str, Any]) -> Metric:
    """A :class:`Metric` from its JSON."""
    return Metric(
        str(data["key"]), number(data["value"]), int(data["step"]), int(data["timestamp"])
    )


def artifact(data: Mapping[str, Any]) -> ArtifactInfo:
    """An :class:`ArtifactInfo` from its JSON."""
    return ArtifactInfo(
        str(data["path"]),
        str(data["digest"]),
        int(data["size"]),
        str(data["media_type"]),
        int(data["created_at"]),
    )


def model_version(data: Mapping[str, Any]) -> ModelVersion:
    """A :class:`ModelVersion` from its JSON."""
    signature = data.get("signature")
    return ModelVersion(
        name=str(data["name"]),
        version=int(data["version"]),
        run_id=data.get("run_id"),
        digest=str(data["digest"]),
        flavor=str(data["flavor"]),
        signature=Signature.from_dict(signature) if signature else None,
        created_at=int(data["created_at"]),
        description=data.get("description"),
        tags=dict(data.get("tags") or {}),
        aliases=tuple(data.get("aliases") or ()),
        source=str(data.get("source") or ""),
        created_by=str(data.get("created_by") or ""),
        metrics={k: number(val) for k, val in (data.get("metrics") or {}).items()},
    )


def registered_model(data: Mapping[str, Any]) -> RegisteredModel:
    """A :class:`RegisteredModel` from its JSON."""
    return RegisteredModel(
        name=str(data["name"]),
        description=data.get("description"),
        latest_version=int(data["latest_version"]),
        created_at=int(data["created_at"]),
        updated_at=int(data["updated_at"]),
        created_by=str(data["created_by"]),
        tags=dict(data.get("tags") or {}),
        aliases={k: int(val) for k, val in (data.get("aliases") or {}).items()},
        version_count=int(data.get("version_count") or 0),
    )


def alias_change(data: Mapping[str, Any]) -> AliasChange:
    """An :class:`AliasChange` from its JSON."""
    return AliasChange(
        id=int(data["id"]),
        name=str(data["name"]),
        alias=str(data["alias"]),
        action=str(data["action"]),
        version=data.get("version"),
        previous_version=data.get("previous_version"),
        at=int(data["at"]),
        by=str(data["by"]),
        reason=data.get("reason"),
    )


def batch_body(
    points: list[tuple[str, float, int, int]], params: Mapping[str, str], tags: Mapping[str, str]
) -> dict[str, Any]:
    """The body of ``POST /api/v1/runs/{id}/log-batch``."""
    return {
        "metrics": [
            {"key": k, "value": shown(val), "step": s, "timestamp": ts} for k, val, s, ts in points
        ],
        "params": dict(params),
        "tags": dict(tags),
    }


def capture_body(captured: Capture) -> dict[str, Any]:
    """The body of ``POST /api/v1/runs/{id}/capture``: git state and environment."""
    git, env = captured.git, captured.environment
    return {
        "git": {
            "commit": git.commit,
            "branch": git.branch,
            "dirty": git.dirty,
            "diff": git.diff.decode(errors="replace"),
            "root": git.root,
            "skipped_untracked": list(git.skipped_untracked),
        },
        "environment": {
            "python_version": env.python_version,
            "platform": env.platform,
            "executable": env.executable,
            "packages": list(env.packages),
            "details": dict(env.details),
        },
    }

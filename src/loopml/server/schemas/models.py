"""REST models of the model registry: registered models, versions, aliases, history."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from loopml.server.schemas.common import JsonFloat, Model, jsonable


class ModelVersionOut(Model):
    """A registered model version."""

    name: str
    version: int
    run_id: str | None = None
    digest: str
    flavor: str
    signature: dict[str, Any] | None = None
    created_at: int
    description: str | None = None
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: list[str] = Field(default_factory=list)
    source: str = ""
    created_by: str = ""
    metrics: dict[str, JsonFloat] = Field(default_factory=dict)

    @classmethod
    def of(cls, version: Any) -> ModelVersionOut:
        """Build from a :class:`~loopml.models.ModelVersion`."""
        data = jsonable(version)
        return cls.model_validate(data)


class RegisteredModelOut(Model):
    """A registered model."""

    name: str
    description: str | None = None
    latest_version: int
    created_at: int
    updated_at: int
    created_by: str
    tags: dict[str, str] = Field(default_factory=dict)
    aliases: dict[str, int] = Field(default_factory=dict)
    version_count: int = 0


class AliasChangeOut(Model):
    """One entry of the append-only alias history."""

    id: int
    name: str
    alias: str
    action: str
    version: int | None = None
    previous_version: int | None = None
    at: int
    by: str
    reason: str | None = None


class ModelRegister(Model):
    """Register a logged model package as the next version of a model."""

    source: str = Field(
        min_length=1, max_length=2048, examples=["runs:/<run id>/model", "models:/churn/2"]
    )
    description: str | None = Field(default=None, max_length=10_000)
    tags: dict[str, str] = Field(default_factory=dict)


class AliasSet(Model):
    """Point an alias at a version."""

    version: int | str = Field(description="version number or another alias")
    reason: str | None = Field(default=None, max_length=10_000)


class DescriptionUpdate(Model):
    """Set a description."""

    description: str | None = Field(default=None, max_length=10_000)


class TagsSet(Model):
    """Set tags."""

    tags: dict[str, str]

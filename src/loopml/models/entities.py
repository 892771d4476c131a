"""Read-only views of the registry: registered models, versions and alias changes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import ms_to_datetime

if TYPE_CHECKING:
    import datetime as dt

    from loopml.models.signatures import Signature


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version of a model.

    Attributes:
        name: registered model name.
        version: version number (1, 2, ...), never reused.
        run_id: the run that logged the package (``None`` if registered from a package).
        digest: the package digest; ``load_model`` loads exactly this content.
        flavor: flavor of the package.
        signature: inputs and outputs, when recorded.
        created_at: registration time, epoch milliseconds.
        description: free text.
        tags: version tags.
        aliases: aliases pointing at this version, sorted.
        source: what was registered (``runs:/<id>/model``, ``models:/other/2``...).
        created_by: who registered it.
        metrics: the run's latest metrics when the version was registered.
    """

    name: str
    version: int
    run_id: str | None
    digest: str
    flavor: str
    signature: Signature | None
    created_at: int
    description: str | None = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    source: str = ""
    created_by: str = ""
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def uri(self) -> str:
        """``models:/<name>/<version>``."""
        return f"models:/{self.name}/{self.version}"

    @property
    def created(self) -> dt.datetime | None:
        """``created_at`` as an aware UTC datetime."""
        return ms_to_datetime(self.created_at)


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A registered model: a name, its versions' count and its aliases.

    Attributes:
        name: the model name.
        description: free text.
        latest_version: the highest version number ever registered.
        created_at: epoch milliseconds.
        updated_at: last change to the model, its versions or aliases (epoch ms).
        created_by: who registered the first version.
        tags: model tags.
        aliases: alias -> version.
        version_count: how many versions exist.
    """

    name: str
    description: str | None
    latest_version: int
    created_at: int
    updated_at: int
    created_by: str
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)
    version_count: int = 0


@dataclass(frozen=True, slots=True)
class AliasChange:
    """One entry of the append-only alias history.

    Attributes:
        id: position in the history (increasing).
        name: model name.
        alias: the alias.
        action: ``set`` (new alias), ``moved`` (to another version) or ``deleted``.
        version: the version the alias points at after the change (``None`` when deleted).
        previous_version: where it pointed before (``None`` when new).
        at: epoch milliseconds.
        by: who made the change.
        reason: optional note given with the change.
    """

    id: int
    name: str
    alias: str
    action: str
    version: int | None
    previous_version: int | None
    at: int
    by: str
    reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready form."""
        return {
            "id": self.id,
            "name": self.name,
            "alias": self.alias,
            "action": self.action,
            "version": self.version,
            "previous_version": self.previous_version,
            "at": self.at,
            "by": self.by,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ModelAlias:
    """Where an alias points now (one indexed query; servers poll it for hot swaps).

    Attributes:
        name: model name.
        alias: the alias.
        version: the version it points at.
        digest: that version's package digest.
        updated_at: when it was last set or moved (epoch ms).
        updated_by: who set or moved it.
    """

    name: str
    alias: str
    version: int
    digest: str
    updated_at: int
    updated_by: str

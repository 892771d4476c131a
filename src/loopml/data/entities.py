"""What the data API returns: datasets and their immutable versions (frozen dataclasses)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import ms_to_datetime

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping

    from loopml.data.profiles import DatasetProfile

#: Lineage node type of a dataset version (node id: ``name/version``).
NODE_TYPE = "dataset_version"


@dataclass(frozen=True, slots=True)
class Dataset:
    """A named dataset: a sequence of immutable versions."""

    id: int
    name: str
    description: str | None
    created_at: int
    updated_at: int
    latest_version: int | None
    num_versions: int
    schema: Mapping[str, Any] | None = None

    @property
    def created(self) -> dt.datetime | None:
        """Creation time as an aware UTC datetime."""
        return ms_to_datetime(self.created_at)


@dataclass(frozen=True, slots=True)
class DatasetVersion:
    """One immutable snapshot of a dataset: content digest, parquet blob, schema, profile.

    ``digest`` is computed over the content (see :mod:`loopml.data.digest`), so logging
    the same rows again returns this version; ``blob_digest`` names the parquet file in
    the blob store.
    """

    name: str
    version: int
    digest: str
    blob_digest: str
    size_bytes: int
    num_rows: int
    num_columns: int
    columns: Mapping[str, str]
    column_digests: Mapping[str, str]
    profile: DatasetProfile
    created_at: int
    source: str | None = None
    description: str | None = None
    metadata: Mapping[str, Any] = field(default_factory=dict)
    run_id: str | None = None

    @property
    def ref(self) -> str:
        """``name@version``: how the CLI and ``load_dataset`` name this version."""
        return f"{self.name}@{self.version}"

    @property
    def node_id(self) -> str:
        """The id of this version in lineage edges (``name/version``)."""
        return f"{self.name}/{self.version}"

    @property
    def short_digest(self) -> str:
        """The first 12 hex characters of the digest."""
        return self.digest[:12]

    @property
    def created(self) -> dt.datetime | None:
        """Creation time as an aware UTC datetime."""
        return ms_to_datetime(self.created_at)

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (the profile included)."""
        return {
            "name": self.name,
            "version": self.version,
            "digest": self.digest,
            "blob_digest": self.blob_digest,
            "size_bytes": self.size_bytes,
            "num_rows": self.num_rows,
            "num_columns": self.num_columns,
            "columns": dict(self.columns),
            "column_digests": dict(self.column_digests),
            "profile": self.profile.to_dict(),
            "created_at": self.created_at,
            "source": self.source,
            "description": self.description,
            "metadata": dict(self.metadata),
            "run_id": self.run_id,
        }


@dataclass(frozen=True, slots=True)
class VersionLink:
    """A lineage edge touching a dataset version: ``src --relation--> dst``."""

    src_type: str
    src_id: str
    relation: str
    dst_type: str
    dst_id: str
    created_at: int
    attributes: Mapping[str, Any] = field(default_factory=dict)

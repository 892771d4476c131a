"""Dataset tables: named datasets and their immutable, content-addressed versions."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from loopml.store.tables._meta import metadata

datasets = Table(
    "datasets",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    # A declared validation schema (loopml.data.Schema.to_dict()) checked on every new version.
    Column("schema", JSON, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

dataset_versions = Table(
    "dataset_versions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("dataset_id", Integer, ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False),
    Column("version", Integer, nullable=False),
    # sha256 over the canonical content (loopml.data.digest), not over the parquet bytes.
    Column("digest", String(64), nullable=False),
    # The parquet snapshot in the blob store.
    Column("blob_digest", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("num_rows", BigInteger, nullable=False),
    Column("num_columns", Integer, nullable=False),
    Column("columns", JSON, nullable=False),
    Column("column_digests", JSON, nullable=False),
    Column("profile", JSON, nullable=False),
    Column("source", String(1024), nullable=True),
    Column("description", Text, nullable=True),
    Column("metadata", JSON, nullable=True),
    Column("run_id", String(32), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    UniqueConstraint("dataset_id", "version", name="uq_dataset_versions_version"),
    UniqueConstraint("dataset_id", "digest", name="uq_dataset_versions_digest"),
    Index("ix_dataset_versions_digest", "digest"),
    Index("ix_dataset_versions_run", "run_id"),
)

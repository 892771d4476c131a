"""Feature store tables: versioned entities and views, materialization history, watermarks."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, Text

from loopml.store.tables._meta import metadata

# Every applied definition is kept; a changed definition is a new version.
feature_entities = Table(
    "feature_entities",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("spec", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

feature_views = Table(
    "feature_views",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("version", Integer, primary_key=True),
    Column("digest", String(64), nullable=False),
    # Digest of what the online store holds; versions differing only in TTL or labels share it.
    Column("storage_digest", String(64), nullable=False),
    Column("spec", JSON, nullable=False),
    # {column: DuckDB type} of the source columns the view reads, as seen when applied.
    Column("source_schema", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

feature_materializations = Table(
    "feature_materializations",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("view", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("storage_digest", String(64), nullable=False),
    Column("online_store", String(512), nullable=False),
    Column("mode", String(16), nullable=False),
    Column("window_start_us", BigInteger, nullable=True),
    Column("window_end_us", BigInteger, nullable=False),
    Column("rows", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("started_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_feature_materializations_view", "view", "id"),
)

# Incremental materialization resumes from here: per view storage and online store.
feature_watermarks = Table(
    "feature_watermarks",
    metadata,
    Column("view", String(256), primary_key=True),
    Column("storage_digest", String(64), primary_key=True),
    Column("online_store", String(512), primary_key=True),
    Column("watermark_us", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

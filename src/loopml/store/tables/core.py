"""Tables every component shares: content-addressed blobs, lineage edges and leases."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Column, Index, Integer, String, Table, UniqueConstraint

from loopml.store.tables._meta import metadata

blobs = Table(
    "blobs",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

lineage_edges = Table(
    "lineage_edges",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("src_type", String(32), nullable=False),
    Column("src_id", String(256), nullable=False),
    Column("relation", String(32), nullable=False),
    Column("dst_type", String(32), nullable=False),
    Column("dst_id", String(256), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("attributes", JSON, nullable=True),
    UniqueConstraint(
        "src_type", "src_id", "relation", "dst_type", "dst_id", name="uq_lineage_edge"
    ),
    Index("ix_lineage_src", "src_type", "src_id"),
    Index("ix_lineage_dst", "dst_type", "dst_id"),
)

leases = Table(
    "leases",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("holder", String(256), nullable=False),
    Column("expires_at", BigInteger, nullable=False),
    Column("acquired_at", BigInteger, nullable=False),
)

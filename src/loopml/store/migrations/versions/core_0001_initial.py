"""core: blobs, lineage edges and leases.

Revision ID: core_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "core_0001"
down_revision = None
branch_labels = ("core",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blobs",
        sa.Column("digest", sa.String(64), primary_key=True),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "lineage_edges",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("src_type", sa.String(32), nullable=False),
        sa.Column("src_id", sa.String(256), nullable=False),
        sa.Column("relation", sa.String(32), nullable=False),
        sa.Column("dst_type", sa.String(32), nullable=False),
        sa.Column("dst_id", sa.String(256), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("attributes", sa.JSON, nullable=True),
        sa.UniqueConstraint(
            "src_type", "src_id", "relation", "dst_type", "dst_id", name="uq_lineage_edge"
        ),
    )
    op.create_index("ix_lineage_src", "lineage_edges", ["src_type", "src_id"])
    op.create_index("ix_lineage_dst", "lineage_edges", ["dst_type", "dst_id"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("expires_at", sa.BigInteger, nullable=False),
        sa.Column("acquired_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_table("lineage_edges")
    op.drop_table("blobs")

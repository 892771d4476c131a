"""tracking: run heartbeats (``runs.alive_until``), so a run whose process died is marked FAILED.

Revision ID: tracking_0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tracking_0002"
down_revision = "tracking_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # A plain ADD COLUMN on both dialects: no table copy (other tables reference runs).
    op.add_column("runs", sa.Column("alive_until", sa.BigInteger, nullable=True))
    op.create_index("ix_runs_status_alive", "runs", ["status", "alive_until"])


def downgrade() -> None:
    op.drop_index("ix_runs_status_alive", table_name="runs")
    with op.batch_alter_table("runs") as batch:
        batch.drop_column("alive_until")

"""tracking: run heartbeats (``runs.alive_until``) and an index for text filters on params.

``runs.alive_until`` is the heartbeat lease: a RUNNING run whose lease expired is marked
FAILED ("heartbeat lost"). ``params(key, value)`` serves ``params.x = 'text'`` filters
on SQLite; PostgreSQL keeps its plan (a b-tree entry there is limited to about 2.7 kB,
and param values may be longer).

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
    if op.get_bind().dialect.name == "sqlite":
        op.create_index("ix_params_key_value", "params", ["key", "value"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.drop_index("ix_params_key_value", table_name="params")
    op.drop_index("ix_runs_status_alive", table_name="runs")
    # Not a batch (table copy) on SQLite: dropping the old table would cascade to params,
    # metrics and tags. SQLite >= 3.35 and PostgreSQL both drop a column in place.
    op.execute("ALTER TABLE runs DROP COLUMN alive_until")

"""loop: loops, loop runs, loop events and gate verdicts.

Revision ID: loop_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "loop_0001"
down_revision = None
branch_labels = ("loop",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "loops",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("spec", sa.JSON, nullable=False),
        sa.Column("paused", sa.Boolean, nullable=False),
        sa.Column("cursors", sa.JSON, nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "loop_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("loop", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("active_key", sa.String(256), nullable=True, unique=True),
        sa.Column("cause", sa.JSON, nullable=False),
        sa.Column("holder", sa.String(256), nullable=True),
        sa.Column("heartbeat_at", sa.BigInteger, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
        sa.Column("ended_at", sa.BigInteger, nullable=True),
        sa.Column("champion_version", sa.Integer, nullable=True),
        sa.Column("challenger_version", sa.Integer, nullable=True),
        sa.Column("dataset", sa.String(512), nullable=True),
        sa.Column("pipeline_run_id", sa.String(32), nullable=True),
        sa.Column("verdict_id", sa.Integer, nullable=True),
        sa.Column("state", sa.JSON, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_loop_runs_loop_created", "loop_runs", ["loop", "created_at"])
    op.create_table(
        "loop_events",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("loop", sa.String(256), nullable=False),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("at", sa.BigInteger, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("detail", sa.JSON, nullable=False),
    )
    op.create_index("ix_loop_events_loop", "loop_events", ["loop", "id"])
    op.create_table(
        "gate_verdicts",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("model", sa.String(256), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("passed", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(256), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("results", sa.JSON, nullable=False),
        sa.Column("context", sa.JSON, nullable=False),
    )
    op.create_index("ix_gate_verdicts_model_version", "gate_verdicts", ["model", "version"])


def downgrade() -> None:
    op.drop_table("gate_verdicts")
    op.drop_table("loop_events")
    op.drop_table("loop_runs")
    op.drop_table("loops")

"""pipelines: registered pipelines, pipeline runs, step runs and schedule ticks.

Revision ID: pipelines_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "pipelines_0001"
down_revision = None
branch_labels = ("pipelines",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pipelines",
        sa.Column("name", sa.String(256), primary_key=True),
        sa.Column("target", sa.String(1024), nullable=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("schedule", sa.String(128), nullable=True),
        sa.Column("timezone", sa.String(64), nullable=False),
        sa.Column("schedule_enabled", sa.Boolean, nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("graph", sa.JSON, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("updated_at", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "pipeline_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("pipeline", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("params", sa.JSON, nullable=False),
        sa.Column("executor", sa.String(256), nullable=False),
        sa.Column("cache", sa.Boolean, nullable=False),
        sa.Column("trigger", sa.String(32), nullable=False),
        sa.Column("trigger_info", sa.JSON, nullable=True),
        sa.Column("resumed_from", sa.String(32), nullable=True),
        sa.Column("target", sa.String(1024), nullable=True),
        sa.Column("graph", sa.JSON, nullable=True),
        sa.Column("outputs", sa.JSON, nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=True),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("cancel_requested", sa.Boolean, nullable=False),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index(
        "ix_pipeline_runs_pipeline_created", "pipeline_runs", ["pipeline", "created_at"]
    )
    op.create_index("ix_pipeline_runs_status", "pipeline_runs", ["status"])
    op.create_table(
        "step_runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column(
            "pipeline_run_id",
            sa.String(32),
            sa.ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("step", sa.String(256), nullable=False),
        sa.Column("function", sa.String(512), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("upstream", sa.JSON, nullable=False),
        sa.Column("attempt", sa.Integer, nullable=False),
        sa.Column("attempts", sa.JSON, nullable=True),
        sa.Column("cache_key", sa.String(64), nullable=True),
        sa.Column("cache_parts", sa.JSON, nullable=True),
        sa.Column("cache_note", sa.Text, nullable=True),
        sa.Column("cached_from", sa.String(32), nullable=True),
        sa.Column("run_id", sa.String(32), nullable=True),
        sa.Column("inputs", sa.JSON, nullable=True),
        sa.Column("outputs", sa.JSON, nullable=True),
        sa.Column("logs_digest", sa.String(64), nullable=True),
        sa.Column("start_time", sa.BigInteger, nullable=True),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
    )
    op.create_index("ix_step_runs_run_position", "step_runs", ["pipeline_run_id", "position"])
    op.create_index("ix_step_runs_cache_key", "step_runs", ["cache_key", "status"])
    op.create_table(
        "schedule_ticks",
        sa.Column("job", sa.String(256), primary_key=True),
        sa.Column("tick", sa.BigInteger, primary_key=True),
        sa.Column("holder", sa.String(256), nullable=False),
        sa.Column("claimed_at", sa.BigInteger, nullable=False),
        sa.Column("finished_at", sa.BigInteger, nullable=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("result", sa.Text, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("schedule_ticks")
    op.drop_table("step_runs")
    op.drop_table("pipeline_runs")
    op.drop_table("pipelines")

"""tracking: experiments, runs, params, metrics, latest metrics, tags, run artifacts.

Revision ID: tracking_0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "tracking_0001"
down_revision = None
branch_labels = ("tracking",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(256), nullable=False, unique=True),
        sa.Column("description", sa.Text, nullable=True),
        sa.Column("created_at", sa.BigInteger, nullable=False),
        sa.Column("deleted_at", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("experiment_id", sa.Integer, sa.ForeignKey("experiments.id"), nullable=False),
        sa.Column("name", sa.String(256), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("user_name", sa.String(256), nullable=False),
        sa.Column("parent_id", sa.String(32), nullable=True),
        sa.Column("pipeline_run_id", sa.String(32), nullable=True),
        sa.Column("step_name", sa.String(256), nullable=True),
        sa.Column("source", sa.String(1024), nullable=True),
        sa.Column("git_commit", sa.String(64), nullable=True),
        sa.Column("git_branch", sa.String(256), nullable=True),
        sa.Column("git_dirty", sa.Boolean, nullable=True),
        sa.Column("git_diff_digest", sa.String(64), nullable=True),
        sa.Column("env_digest", sa.String(64), nullable=True),
        sa.Column("python_version", sa.String(32), nullable=True),
        sa.Column("platform", sa.String(256), nullable=True),
        sa.Column("seed", sa.BigInteger, nullable=True),
        sa.Column("error", sa.Text, nullable=True),
        sa.Column("deleted_at", sa.BigInteger, nullable=True),
    )
    op.create_index("ix_runs_experiment_start", "runs", ["experiment_id", "start_time"])
    op.create_index("ix_runs_experiment_status", "runs", ["experiment_id", "status"])
    op.create_index("ix_runs_parent", "runs", ["parent_id"])
    op.create_index("ix_runs_pipeline_run", "runs", ["pipeline_run_id"])
    op.create_index("ix_runs_name", "runs", ["name"])
    op.create_table(
        "params",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
        sa.Column("value_num", sa.Double, nullable=True),
    )
    op.create_index("ix_params_key_num", "params", ["key", "value_num"])
    op.create_table(
        "metric_chunks",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("key", sa.String(250), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("min_step", sa.BigInteger, nullable=False),
        sa.Column("max_step", sa.BigInteger, nullable=False),
        sa.Column("steps", sa.LargeBinary, nullable=False),
        sa.Column("timestamps", sa.LargeBinary, nullable=False),
        sa.Column("values", sa.LargeBinary, nullable=False),
    )
    op.create_index("ix_metric_chunks_run_key", "metric_chunks", ["run_id", "key", "id"])
    op.create_table(
        "latest_metrics",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=True),
    )
    op.create_index("ix_latest_metrics_key_value", "latest_metrics", ["key", "value"])
    op.create_table(
        "tags",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("key", sa.String(250), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )
    op.create_index("ix_tags_key", "tags", ["key"])
    op.create_table(
        "run_artifacts",
        sa.Column(
            "run_id", sa.String(32), sa.ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("path", sa.String(1024), primary_key=True),
        sa.Column("digest", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("media_type", sa.String(128), nullable=False),
        sa.Column("created_at", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("run_artifacts", "tags", "latest_metrics", "metric_chunks", "params", "runs"):
        op.drop_table(table)
    op.drop_table("experiments")

"""Experiment tracking tables: experiments, runs, params, metrics, tags, run artifacts."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Double,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
)

from loopml.store.tables._meta import metadata

experiments = Table(
    "experiments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", String(256), nullable=False, unique=True),
    Column("description", Text, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("deleted_at", BigInteger, nullable=True),
)

runs = Table(
    "runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("experiment_id", Integer, ForeignKey("experiments.id"), nullable=False),
    Column("name", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("start_time", BigInteger, nullable=False),
    Column("end_time", BigInteger, nullable=True),
    Column("user_name", String(256), nullable=False),
    Column("parent_id", String(32), nullable=True),
    Column("pipeline_run_id", String(32), nullable=True),
    Column("step_name", String(256), nullable=True),
    Column("source", String(1024), nullable=True),
    Column("git_commit", String(64), nullable=True),
    Column("git_branch", String(256), nullable=True),
    Column("git_dirty", Boolean, nullable=True),
    Column("git_diff_digest", String(64), nullable=True),
    Column("env_digest", String(64), nullable=True),
    Column("python_version", String(32), nullable=True),
    Column("platform", String(256), nullable=True),
    Column("seed", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Column("deleted_at", BigInteger, nullable=True),
    # Heartbeat lease: a RUNNING run whose lease expired lost its process (see tracking.heartbeat).
    Column("alive_until", BigInteger, nullable=True),
    Index("ix_runs_experiment_start", "experiment_id", "start_time"),
    Index("ix_runs_experiment_status", "experiment_id", "status"),
    Index("ix_runs_parent", "parent_id"),
    Index("ix_runs_pipeline_run", "pipeline_run_id"),
    Index("ix_runs_name", "name"),
    Index("ix_runs_status_alive", "status", "alive_until"),
)

params = Table(
    "params",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    # The value as a number when it parses as one, so numeric filters use an index.
    Column("value_num", Double, nullable=True),
    Index("ix_params_key_num", "key", "value_num"),
)

# Metric points are stored packed: one row per (run, key, flushed batch) holding three
# little-endian arrays (int64 steps, int64 timestamps, float64 values). A batch of 10,000
# points is one row, and reading a 10,000-point history decodes a few rows with numpy.
metric_chunks = Table(
    "metric_chunks",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), nullable=False),
    Column("key", String(250), nullable=False),
    Column("count", Integer, nullable=False),
    Column("min_step", BigInteger, nullable=False),
    Column("max_step", BigInteger, nullable=False),
    Column("steps", LargeBinary, nullable=False),
    Column("timestamps", LargeBinary, nullable=False),
    Column("values", LargeBinary, nullable=False),
    Index("ix_metric_chunks_run_key", "run_id", "key", "id"),
)

latest_metrics = Table(
    "latest_metrics",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("step", BigInteger, nullable=False),
    Column("timestamp", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Index("ix_latest_metrics_key_value", "key", "value"),
)

tags = Table(
    "tags",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("key", String(250), primary_key=True),
    Column("value", Text, nullable=False),
    Index("ix_tags_key", "key"),
)

run_artifacts = Table(
    "run_artifacts",
    metadata,
    Column("run_id", String(32), ForeignKey("runs.id", ondelete="CASCADE"), primary_key=True),
    Column("path", String(1024), primary_key=True),
    Column("digest", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("media_type", String(128), nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

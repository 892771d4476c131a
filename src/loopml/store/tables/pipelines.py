"""Pipeline tables: registered pipelines, pipeline runs, step runs and schedule ticks."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
)

from loopml.store.tables._meta import metadata

pipelines = Table(
    "pipelines",
    metadata,
    Column("name", String(256), primary_key=True),
    # How to import the definition again: "package.module:attribute" or "/path/file.py:attr".
    Column("target", String(1024), nullable=True),
    Column("description", Text, nullable=True),
    Column("schedule", String(128), nullable=True),
    Column("timezone", String(64), nullable=False),
    Column("schedule_enabled", Boolean, nullable=False),
    Column("params", JSON, nullable=False),
    Column("graph", JSON, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

pipeline_runs = Table(
    "pipeline_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("pipeline", String(256), nullable=False),
    # QUEUED, RUNNING, SUCCEEDED, FAILED, CANCELLED
    Column("status", String(16), nullable=False),
    Column("params", JSON, nullable=False),
    Column("executor", String(256), nullable=False),
    Column("cache", Boolean, nullable=False),
    # manual, schedule, trigger, resume
    Column("trigger", String(32), nullable=False),
    Column("trigger_info", JSON, nullable=True),
    Column("resumed_from", String(32), nullable=True),
    Column("target", String(1024), nullable=True),
    Column("graph", JSON, nullable=True),
    Column("outputs", JSON, nullable=True),
    Column("run_id", String(32), nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("cancel_requested", Boolean, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_pipeline_runs_pipeline_created", "pipeline", "created_at"),
    Index("ix_pipeline_runs_status", "status"),
)

step_runs = Table(
    "step_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column(
        "pipeline_run_id",
        String(32),
        ForeignKey("pipeline_runs.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(256), nullable=False),
    Column("step", String(256), nullable=False),
    Column("function", String(512), nullable=False),
    # PENDING, RUNNING, SUCCEEDED, CACHED, FAILED, SKIPPED, CANCELLED
    Column("status", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("upstream", JSON, nullable=False),
    Column("attempt", Integer, nullable=False),
    Column("attempts", JSON, nullable=True),
    Column("cache_key", String(64), nullable=True),
    Column("cache_parts", JSON, nullable=True),
    Column("cache_note", Text, nullable=True),
    Column("cached_from", String(32), nullable=True),
    Column("run_id", String(32), nullable=True),
    Column("inputs", JSON, nullable=True),
    Column("outputs", JSON, nullable=True),
    Column("logs_digest", String(64), nullable=True),
    Column("start_time", BigInteger, nullable=True),
    Column("end_time", BigInteger, nullable=True),
    Column("error", Text, nullable=True),
    Index("ix_step_runs_run_position", "pipeline_run_id", "position"),
    Index("ix_step_runs_cache_key", "cache_key", "status"),
)

schedule_ticks = Table(
    "schedule_ticks",
    metadata,
    Column("job", String(256), primary_key=True),
    Column("tick", BigInteger, primary_key=True),
    Column("holder", String(256), nullable=False),
    Column("claimed_at", BigInteger, nullable=False),
    Column("finished_at", BigInteger, nullable=True),
    Column("status", String(16), nullable=False),
    Column("result", Text, nullable=True),
)

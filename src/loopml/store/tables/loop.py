"""Loop tables: declared loops, loop runs, the events of each firing, and gate verdicts."""

from __future__ import annotations

from sqlalchemy import JSON, BigInteger, Boolean, Column, Index, Integer, String, Table, Text

from loopml.store.tables._meta import metadata

# One row per declared loop; ``cursors`` remembers what each trigger has already seen
# (alert event id, dataset version, model version, schedule tick).
loops = Table(
    "loops",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("spec", JSON, nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("cursors", JSON, nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per loop run. ``active_key`` holds the loop name while the run is in flight and
# NULL once it ended, under a unique constraint: at most one run in flight per loop.
loop_runs = Table(
    "loop_runs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("loop", String(256), nullable=False),
    Column("status", String(16), nullable=False),
    Column("active_key", String(256), nullable=True, unique=True),
    Column("cause", JSON, nullable=False),
    Column("holder", String(256), nullable=True),
    Column("heartbeat_at", BigInteger, nullable=True),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
    Column("ended_at", BigInteger, nullable=True),
    Column("champion_version", Integer, nullable=True),
    Column("challenger_version", Integer, nullable=True),
    Column("dataset", String(512), nullable=True),
    Column("pipeline_run_id", String(32), nullable=True),
    Column("verdict_id", Integer, nullable=True),
    Column("state", JSON, nullable=False),
    Column("error", Text, nullable=True),
    Index("ix_loop_runs_loop_created", "loop", "created_at"),
)

# Append-only: every firing (started, skipped and why) and every state change of a run.
loop_events = Table(
    "loop_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("loop", String(256), nullable=False),
    Column("run_id", String(32), nullable=True),
    Column("kind", String(32), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("message", Text, nullable=False),
    Column("detail", JSON, nullable=False),
    Index("ix_loop_events_loop", "loop", "id"),
)

# The verdict of a gate list on one model version (loop or CI): each gate's result.
gate_verdicts = Table(
    "gate_verdicts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("model", String(256), nullable=False),
    Column("version", Integer, nullable=False),
    Column("passed", Boolean, nullable=False),
    Column("source", String(256), nullable=False),
    Column("created_at", BigInteger, nullable=False),
    Column("results", JSON, nullable=False),
    Column("context", JSON, nullable=False),
    Index("ix_gate_verdicts_model_version", "model", "version"),
)

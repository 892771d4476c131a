"""Monitoring tables: reference summaries, monitors, per-window results, alerts, alert events."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Double,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from loopml.store.tables._meta import metadata

# A reference summary is a blob (content-addressed); this row describes it.
monitor_references = Table(
    "monitor_references",
    metadata,
    Column("digest", String(64), primary_key=True),
    Column("rows", BigInteger, nullable=False),
    Column("columns", JSON, nullable=False),
    Column("source", Text, nullable=False),
    Column("created_at", BigInteger, nullable=False),
)

monitors = Table(
    "monitors",
    metadata,
    Column("name", String(256), primary_key=True),
    Column("deployment", String(256), nullable=False),
    Column("reference_digest", String(64), nullable=False),
    Column("config", JSON, nullable=False),
    Column("paused", Boolean, nullable=False, default=False),
    Column("created_at", BigInteger, nullable=False),
    Column("updated_at", BigInteger, nullable=False),
)

# One row per evaluated window; re-evaluating the same window replaces it.
monitor_results = Table(
    "monitor_results",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("monitor", String(256), nullable=False),
    Column("window_start", BigInteger, nullable=False),
    Column("window_end", BigInteger, nullable=False),
    Column("evaluated_at", BigInteger, nullable=False),
    Column("status", String(16), nullable=False),
    Column("rows", BigInteger, nullable=False),
    Column("labelled", BigInteger, nullable=False),
    Column("drift_share", Double, nullable=True),
    Column("metrics", JSON, nullable=False),
    Column("detail", JSON, nullable=False),
    Column("message", Text, nullable=True),
    UniqueConstraint("monitor", "window_end", name="uq_monitor_results_window"),
    Index("ix_monitor_results_monitor_end", "monitor", "window_end"),
)

# At most one open alert per (monitor, rule): open_key is "<monitor>\x1f<rule>" while the
# alert is open and NULL once resolved, under a unique constraint.
monitor_alerts = Table(
    "monitor_alerts",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("monitor", String(256), nullable=False),
    Column("rule", String(512), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("status", String(16), nullable=False),
    Column("open_key", String(800), nullable=True, unique=True),
    Column("opened_at", BigInteger, nullable=False),
    Column("last_seen_at", BigInteger, nullable=False),
    Column("resolved_at", BigInteger, nullable=True),
    Column("window_end", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("message", Text, nullable=False),
    Index("ix_monitor_alerts_monitor_status", "monitor", "status"),
)

# Append-only log of alert state changes; subscribers poll it with a cursor (the id).
alert_events = Table(
    "alert_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("alert_id", Integer, nullable=False),
    Column("monitor", String(256), nullable=False),
    Column("rule", String(512), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("severity", String(16), nullable=False),
    Column("at", BigInteger, nullable=False),
    Column("value", Double, nullable=True),
    Column("message", Text, nullable=False),
    Index("ix_alert_events_monitor", "monitor", "id"),
)

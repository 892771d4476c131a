"""Monitoring: drift, data quality, performance from feedback, monitors, alerts, Prometheus.

Pure cores (``stats``, ``drift``, ``quality``, ``performance``, ``rules``) do no I/O;
``api.Monitoring`` ties them to the store, the prediction log and the alert channels.
"""

from __future__ import annotations

from loopml.monitoring.alerts import Alert, Subscription
from loopml.monitoring.api import Monitoring
from loopml.monitoring.channels import (
    AlertChannel,
    AlertEvent,
    CallbackChannel,
    LogChannel,
    WebhookChannel,
)
from loopml.monitoring.drift import ColumnDrift, DriftReport, detect_drift
from loopml.monitoring.monitors import Monitor, MonitorInfo, WindowResult
from loopml.monitoring.options import DriftConfig
from loopml.monitoring.performance import Performance
from loopml.monitoring.quality import QualityReport, check_quality
from loopml.monitoring.rules import Rule
from loopml.monitoring.summary import ReferenceSummary
from loopml.store.predlog.feedback import FeedbackResult, UnknownPredictions

__all__ = [
    "Alert",
    "AlertChannel",
    "AlertEvent",
    "CallbackChannel",
    "ColumnDrift",
    "DriftConfig",
    "DriftReport",
    "FeedbackResult",
    "LogChannel",
    "Monitor",
    "MonitorInfo",
    "Monitoring",
    "Performance",
    "QualityReport",
    "ReferenceSummary",
    "Rule",
    "Subscription",
    "UnknownPredictions",
    "WebhookChannel",
    "WindowResult",
    "check_quality",
    "detect_drift",
]

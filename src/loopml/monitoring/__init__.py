"""Monitoring: drift, data quality, performance from feedback, monitors, alerts, Prometheus.

Pure cores (``stats``, ``drift``, ``quality``, ``performance``, ``rules``) do no I/O;
``api.Monitoring`` ties them to the store, the prediction log and the alert channels.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from loopml._utils import lazy

if TYPE_CHECKING:
    from loopml.monitoring.alerts import Alert as Alert, Subscription as Subscription
    from loopml.monitoring.api import Monitoring as Monitoring
    from loopml.monitoring.channels import (
        AlertChannel as AlertChannel,
        AlertEvent as AlertEvent,
        CallbackChannel as CallbackChannel,
        LogChannel as LogChannel,
        WebhookChannel as WebhookChannel,
    )
    from loopml.monitoring.drift import (
        ColumnDrift as ColumnDrift,
        DriftReport as DriftReport,
        detect_drift as detect_drift,
    )
    from loopml.monitoring.monitors import Monitor as Monitor
    from loopml.monitoring.options import DriftConfig as DriftConfig
    from loopml.monitoring.performance import Performance as Performance
    from loopml.monitoring.quality import (
        QualityReport as QualityReport,
        check_quality as check_quality,
    )
    from loopml.monitoring.records import MonitorInfo as MonitorInfo, WindowResult as WindowResult
    from loopml.monitoring.rules import Rule as Rule
    from loopml.monitoring.summary import ReferenceSummary as ReferenceSummary
    from loopml.store.predlog.feedback import (
        FeedbackResult as FeedbackResult,
        UnknownPredictions as UnknownPredictions,
    )
else:
    __getattr__, __dir__, __all__ = lazy.attach(__name__, __file__)

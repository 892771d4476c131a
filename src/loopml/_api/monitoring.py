"""``lm.save_monitor``, ``lm.detect_drift``, ``lm.log_feedback``...: monitoring."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from loopml._api.default import get_client
from loopml._api.forwarding import forward
from loopml.monitoring import (
    ReferenceSummary,
    check_quality as check_summary_quality,
    detect_drift as detect_summary_drift,
)
from loopml.monitoring.api import Monitoring
from loopml.monitoring.summary import DEFAULT_POINTS

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.monitoring import DriftConfig, DriftReport, QualityReport


def _monitors() -> Monitoring:
    """Return the default client's monitoring API."""
    return get_client().monitors


save_monitor = forward(Monitoring.save, _monitors, name="save_monitor")
get_monitor = forward(Monitoring.get, _monitors, name="get_monitor")
list_monitors = forward(Monitoring.list, _monitors, name="list_monitors")
delete_monitor = forward(Monitoring.delete, _monitors, name="delete_monitor")
run_monitor = forward(Monitoring.run, _monitors, name="run_monitor")
monitor_results = forward(Monitoring.results, _monitors, name="monitor_results")
list_alerts = forward(Monitoring.alerts, _monitors, name="list_alerts")
alert_events = forward(Monitoring.alert_events, _monitors)
subscribe_alerts = forward(Monitoring.subscribe, _monitors, name="subscribe_alerts")
log_predictions = forward(Monitoring.log_predictions, _monitors)
log_feedback = forward(Monitoring.log_feedback, _monitors)
log_feedback_batch = forward(Monitoring.log_feedback_batch, _monitors)
get_performance = forward(Monitoring.performance, _monitors, name="get_performance")


def detect_drift(
    reference: Any,
    current: Any,
    config: DriftConfig | None = None,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    points: int = DEFAULT_POINTS,
) -> DriftReport:
    """Compare ``current`` with ``reference`` (data, or a fitted ``ReferenceSummary``).

    Args:
        reference: a DataFrame, Arrow table, mapping of columns, or a ``ReferenceSummary``.
        current: the data to check, in the same forms.
        config: thresholds and tests (default :class:`~loopml.monitoring.DriftConfig`).
        columns: the columns to compare (default: every reference column).
        categorical: columns to treat as categorical even when they hold numbers.
        points: most knots kept per numeric column when ``reference`` is data.

    Example:
        >>> report = lm.detect_drift(train_frame, live_frame)  # doctest: +SKIP
        >>> report.drifted  # doctest: +SKIP
    """
    summary = _summary(reference, columns, categorical, points)
    return detect_summary_drift(summary, current, config, columns=columns)


def check_quality(
    reference: Any,
    current: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
    points: int = DEFAULT_POINTS,
) -> QualityReport:
    """Check the data quality of ``current`` against ``reference`` (data or a summary).

    Args:
        reference: a DataFrame, Arrow table, mapping of columns, or a ``ReferenceSummary``.
        current: the data to check, in the same forms.
        columns: the columns to check (default: every reference column).
        categorical: columns to treat as categorical even when they hold numbers.
        points: most knots kept per numeric column when ``reference`` is data.
    """
    summary = _summary(reference, columns, categorical, points)
    return check_summary_quality(summary, current, columns=columns)


def _summary(
    reference: Any, columns: Sequence[str] | None, categorical: Sequence[str], points: int
) -> ReferenceSummary:
    if isinstance(reference, ReferenceSummary):
        return reference
    return ReferenceSummary.fit(reference, columns=columns, categorical=categorical, points=points)

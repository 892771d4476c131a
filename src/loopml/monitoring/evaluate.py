"""Evaluate one window: read it from the prediction log, compute drift, quality and
performance, and flatten everything into the metrics that rules and gauges read.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from loopml.data import Schema, validate
from loopml.monitoring import performance as perf
from loopml.monitoring.drift import DriftReport, detect_drift
from loopml.monitoring.quality import QualityReport, check_quality
from loopml.store.predlog.reading import join_labels
from loopml.store.streams import PREDICTION_COLUMNS, predictions_stream

if TYPE_CHECKING:
    import datetime as dt

    from loopml.data.reports import ValidationReport
    from loopml.monitoring.records import MonitorInfo
    from loopml.monitoring.summary import ReferenceSummary
    from loopml.store.events import EventLog

LOG_FIELDS = tuple(c for c in PREDICTION_COLUMNS if c != "inputs")


def read_window(
    log: EventLog, deployment: str, start: dt.datetime, end: dt.datetime
) -> pd.DataFrame:
    """Return the window's prediction-log rows with the ``inputs`` struct flattened."""
    table = log.read(predictions_stream(deployment), start, end)
    if table.num_rows == 0:
        return pd.DataFrame({"prediction_id": pd.Series(dtype=object)})
    columns: dict[str, Any] = {}
    for name in table.column_names:
        column = table[name]
        if name == "inputs" and pa.types.is_struct(column.type):
            for field in column.type:
                columns[field.name] = pa.chunked_array([c.field(field.name) for c in column.chunks])
        elif name not in columns:
            columns[name] = column
    return pa.table(columns).to_pandas()


def feature_columns(window: pd.DataFrame, summary: ReferenceSummary) -> pd.DataFrame:
    """Drop the prediction-log bookkeeping fields the reference does not have."""
    known = set(summary.names)
    extra = [c for c in LOG_FIELDS if c in window.columns and c not in known]
    return window.drop(columns=extra) if extra else window


def served_rows(window: pd.DataFrame) -> pd.DataFrame:
    """Rows answered to callers (shadow rows excluded)."""
    if "shadow" not in window.columns or len(window) == 0:
        return window
    return window[~window["shadow"].fillna(False).astype(bool)]


def evaluate_window(
    monitor: MonitorInfo,
    summary: ReferenceSummary,
    window: pd.DataFrame,
    labels: pd.DataFrame | None,
    labelled_window: pd.DataFrame | None = None,
) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Compute the flat metrics and the detail of one window.

    Args:
        monitor: the monitor definition.
        summary: its reference summary (restricted to the monitored columns).
        window: the window's rows (features, and prediction-log fields when present).
        labels: latest labels per prediction id (``prediction_id``, ``label``), or ``None``.
        labelled_window: the predictions scored for performance (default: ``window``);
            an earlier window when the monitor waits ``label_delay`` for labels.
    """
    served = feature_columns(served_rows(window), summary)
    drift = detect_drift(summary, served, monitor.drift)
    quality = check_quality(summary, served)
    metrics: dict[str, float] = {"window.rows": float(len(served))}
    metrics.update(drift_metrics(drift))
    metrics.update(quality.metrics())
    failures: list[dict[str, Any]] = []
    if monitor.schema:
        validation = validate(served, Schema.from_dict(monitor.schema))
        metrics.update(schema_metrics(validation))
        failures = [
            {"check": f.check, "column": f.column, "failed_fraction": f.failed_fraction,
             "message": f.message}
            for f in validation.failures[:50]
        ]  # fmt: skip
    detail: dict[str, Any] = {
        "drift": [_column_detail(c) for c in drift.columns],
        "quality": quality_detail(quality),
        "missing_columns": list(drift.missing_columns),
        "schema_failures": failures,
    }
    scored = window if labelled_window is None else labelled_window
    performance = performance_groups(
        scored, labels, task=monitor.task, positive_label=monitor.positive_label
    )
    metrics.update(performance_metrics(performance))
    detail["performance"] = [_performance_detail(p) for p in performance]
    return clean(metrics), clean(detail)


def schema_metrics(report: ValidationReport) -> dict[str, float]:
    """``quality.schema.passed``, ``.failed_checks`` and ``.<check>.<column>`` failed shares."""
    out = {
        "quality.schema.passed": float(report.passed),
        "quality.schema.failed_checks": float(len(report.failures)),
    }
    for check in report.checks:
        out[f"quality.schema.{check.check}.{check.column or 'table'}"] = check.failed_fraction
    return out


def drift_metrics(report: DriftReport) -> dict[str, float]:
    """Flat drift metrics: ``drift.share``, ``drift.count``, ``drift.<column>.<stat>``."""
    out: dict[str, float] = {}
    if report.tested:
        out["drift.share"] = report.share
        out["drift.count"] = float(len(report.drifted))
        out["drift.dataset"] = float(report.dataset_drift)
    out["drift.tested"] = float(report.tested)
    for col in report.columns:
        if col.tested:
            for key, value in col.metrics().items():
                out[f"drift.{col.column}.{key}"] = value
    return out


def _column_detail(col: Any) -> dict[str, Any]:
    keep = (
        "column", "kind", "test", "statistic", "p_value", "p_adjusted", "effect_name", "effect",
        "threshold", "drifted", "tested", "n_reference", "n_current", "psi", "wasserstein", "ks",
        "jensen_shannon", "mean_current", "new_share", "reason",
    )  # fmt: skip
    out = {k: getattr(col, k) for k in keep}
    out["new_categories"] = list(col.new_categories)
    out["histogram"] = list(col.histogram) if col.histogram is not None else None
    return out


def quality_detail(report: QualityReport) -> dict[str, Any]:
    """Per-column quality figures as JSON-ready values."""
    return {
        "rows": report.rows,
        "missing_columns": list(report.missing_columns),
        "unexpected_columns": list(report.unexpected_columns),
        "columns": [{k: getattr(c, k) for k in c.__dataclass_fields__} for c in report.columns],
    }


def performance_groups(
    window: pd.DataFrame,
    labels: pd.DataFrame | None,
    *,
    task: str | None = None,
    positive_label: str | None = None,
) -> list[perf.Performance]:
    """Performance of served rows overall and per (model version, shadow) group."""
    if labels is None or "prediction" not in window.columns or len(window) == 0:
        return []
    joined = join_labels(window, labels)
    if len(joined) == 0:
        return []
    kind: Any = task or perf.infer_task(joined["label"].to_numpy(), joined["prediction"].to_numpy())
    groups = [_score(served_rows(joined), kind, positive_label, None, False)]
    if "model_version" in joined.columns:
        shadow = (
            joined["shadow"].fillna(False).astype(bool) if "shadow" in joined.columns else False
        )
        keyed = joined.assign(_shadow=shadow)
        for (version, is_shadow), rows in keyed.groupby(["model_version", "_shadow"], sort=True):
            groups.append(_score(rows, kind, positive_label, int(version), bool(is_shadow)))
    return [g for g in groups if g.labelled]


def _score(
    rows: pd.DataFrame, task: Any, positive: str | None, version: int | None, shadow: bool
) -> perf.Performance:
    scores = (
        rows["score"].to_numpy(dtype=np.float64, na_value=np.nan)
        if "score" in rows.columns
        else None
    )
    result = perf.evaluate(
        rows["label"].to_numpy(), rows["prediction"].to_numpy(), scores,
        task=task, positive_label=positive,
    )  # fmt: skip
    return perf.Performance(result.task, result.labelled, result.metrics, version, shadow)


def performance_metrics(groups: list[perf.Performance]) -> dict[str, float]:
    """Flat metrics: ``performance.<metric>`` (served rows) and ``performance.v<N>.<metric>``."""
    out: dict[str, float] = {}
    for group in groups:
        if group.model_version is None:
            prefix = "performance"
        else:
            prefix = f"performance.{'shadow_' if group.shadow else ''}v{group.model_version}"
        out[f"{prefix}.labelled"] = float(group.labelled)
        for key, value in group.metrics.items():
            out[f"{prefix}.{key}"] = value
    return out


def _performance_detail(group: perf.Performance) -> dict[str, Any]:
    return {
        "task": group.task,
        "labelled": group.labelled,
        "model_version": group.model_version,
        "shadow": group.shadow,
        "metrics": dict(group.metrics),
    }


def clean(value: Any) -> Any:
    """Replace NaN and infinities by ``None`` and numpy scalars by Python ones (for JSON)."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value

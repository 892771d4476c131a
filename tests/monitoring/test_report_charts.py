"""The HTML report shows decay: one scale per metric, and no lines across missing windows."""

from __future__ import annotations

import datetime as dt
import re

from loopml.monitoring import svg
from loopml.monitoring.records import WindowResult
from loopml.monitoring.report import _timeseries

T0 = dt.datetime(2024, 5, 1, tzinfo=dt.UTC)


def _window(hour: int, status: str = "ok", accuracy: float | None = None) -> WindowResult:
    end = T0 + dt.timedelta(hours=hour + 1)
    metrics = {"drift.share": 0.1, "performance.log_loss": 2.5}
    if accuracy is not None:
        metrics["performance.accuracy"] = accuracy
    return WindowResult(
        "churn", end - dt.timedelta(hours=1), end, end, status, 100 if status == "ok" else 0,
        50, 0.1, metrics if status == "ok" else {},
    )  # fmt: skip


def _charts(html: str) -> dict[str, str]:
    found = re.findall(r"<svg.*?</svg>", html, flags=re.S)
    return {re.search(r'font-weight="bold">([^<]*)<', c).group(1): c for c in found}


def _ys(chart: str) -> list[float]:
    return [float(y) for y in re.findall(r'<circle cx="[^"]+" cy="([^"]+)"', chart)]


def test_each_performance_metric_has_its_own_scale() -> None:
    history = [_window(h, accuracy=0.95 - 0.01 * h) for h in range(10)]  # 0.95 -> 0.86
    charts = _charts(_timeseries(history))
    accuracy = charts["accuracy on labelled predictions"]
    assert "log_loss" not in accuracy
    ys = _ys(accuracy)
    plot_height = svg.HEIGHT - 2 * svg.PAD
    assert max(ys) - min(ys) > 0.6 * plot_height  # a 9-point decay fills most of the chart
    assert "log_loss on labelled predictions" in charts


def test_missing_windows_break_the_line() -> None:
    history = [_window(0, accuracy=0.9), _window(1, accuracy=0.9)]
    history += [_window(2, status="empty"), _window(3, status="empty")]
    history += [_window(4, accuracy=0.8), _window(5, accuracy=0.8)]
    chart = _charts(_timeseries(history))["accuracy on labelled predictions"]
    assert chart.count("<polyline") == 2
    assert len(_ys(chart)) == 4


def test_a_jump_in_time_breaks_the_line_too() -> None:
    points = [(T0 + dt.timedelta(hours=h), 1.0) for h in (0, 1, 2, 9, 10)]
    assert svg.lines({"x": points}, "t").count("<polyline") == 2
    assert svg.lines({"x": points[:3]}, "t").count("<polyline") == 1

"""Feature views, deployments (traffic, requests, latency) and monitoring pages."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response  # noqa: TC002 - FastAPI reads the annotation

from loopml._utils.clock import now_ms
from loopml.auth import Principal
from loopml.errors import InvalidInput
from loopml.server.ui import charts, traffic
from loopml.server.ui.deps import client_of, permit
from loopml.server.ui.templating import render

if TYPE_CHECKING:
    from loopml.monitoring.records import WindowResult

router = APIRouter(prefix="/ui", include_in_schema=False)
FeaturesRead = Annotated[Principal, Depends(permit("features:read"))]
DeploymentsRead = Annotated[Principal, Depends(permit("deployments:read"))]
MonitorsRead = Annotated[Principal, Depends(permit("monitors:read"))]
WINDOWS = {"1h": dt.timedelta(hours=1), "24h": dt.timedelta(days=1), "7d": dt.timedelta(days=7)}
MAX_RESULTS = 500
MAX_DRIFT_COLUMNS = 10


@router.get("/features")
def features(request: Request, principal: FeaturesRead) -> Response:
    """Feature views with their entities, features, source, TTL and materialization watermark."""
    store = client_of(request).features
    views = store.list_views()
    watermarks = {v.name: store.watermark(v.name) for v in views}
    context = {
        "active": "features",
        "views": views,
        "entities": store.list_entities(),
        "watermarks": watermarks,
    }
    return render(request, "features.html", context, principal=principal)


@router.get("/deployments")
def deployments(request: Request, principal: DeploymentsRead, window: str = "24h") -> Response:
    """Deployments: traffic split by model version, requests, latency over the window."""
    span = _window(window)
    client = client_of(request)
    summaries = [
        traffic.summarise(name, traffic.recent(client, name, span), span)
        for name in traffic.deployment_names(client)
    ]
    context = {
        "active": "deployments",
        "summaries": summaries,
        "window": window,
        "windows": list(WINDOWS),
    }
    return render(request, "deployments.html", context, principal=principal)


@router.get("/monitors")
def monitors(request: Request, principal: MonitorsRead) -> Response:
    """Monitors with their latest window and open alerts."""
    api = client_of(request).monitors
    latest = {r.monitor: r for r in api.latest_results()}
    context = {
        "active": "monitors",
        "monitors": api.list(),
        "latest": latest,
        "alerts": api.alerts(status="open"),
    }
    return render(request, "monitors.html", context, principal=principal)


@router.get("/monitors/{name}")
def monitor(request: Request, name: str, principal: MonitorsRead) -> Response:
    """One monitor: drift per column and performance over time, alerts on a timeline."""
    api = client_of(request).monitors
    info = api.get(name)
    results = api.results(name)[-MAX_RESULTS:]
    alerts = api.alerts(name, status=None)
    context = {
        "active": "monitors",
        "monitor": info,
        "results": list(reversed(results[-50:])),
        "drift_plots": drift_charts(results),
        "performance_plots": performance_charts(results),
        "timeline": traffic.timeline(results, alerts, now_ms()),
        "alerts": alerts,
    }
    return render(request, "monitor.html", context, principal=principal)


def drift_charts(results: list[WindowResult]) -> list[dict[str, Any]]:
    """The drift share, and each column's drift statistic, per window end."""
    xs = [r.window_end.timestamp() for r in results]
    share = charts.series("drift share", xs, [r.drift_share for r in results])
    per_column: dict[str, tuple[list[float], list[float | None]]] = {}
    for r, x in zip(results, xs, strict=True):
        for column in r.detail.get("drift", []):
            if column.get("tested", True):
                found = per_column.setdefault(str(column["column"]), ([], []))
                found[0].append(x)
                found[1].append(column.get("statistic"))
    lines = [charts.series(c, *v) for c, v in sorted(per_column.items())[:MAX_DRIFT_COLUMNS]]
    plots = [charts.chart("share of drifted columns", [share], time=True)]
    if lines:
        plots.append(charts.chart("drift statistic per column", lines, time=True))
    return plots


def performance_charts(results: list[WindowResult]) -> list[dict[str, Any]]:
    """One chart per performance metric (a line per model version), plus labelled counts."""
    xs = [r.window_end.timestamp() for r in results]
    by_metric: dict[str, dict[str, tuple[list[float], list[float | None]]]] = {}
    for r, x in zip(results, xs, strict=True):
        for key, value in r.metrics.items():
            if not key.startswith("performance."):
                continue
            group, _, metric = key[len("performance.") :].rpartition(".")
            line = by_metric.setdefault(metric, {}).setdefault(group or "served", ([], []))
            line[0].append(x)
            line[1].append(value)
    plots = []
    for metric in sorted(by_metric, key=lambda m: (m == "labelled", m)):
        lines = [charts.series(g, *v) for g, v in sorted(by_metric[metric].items())]
        title = "labelled rows per window" if metric == "labelled" else metric
        plots.append(charts.chart(title, lines, time=True))
    if not any(p["title"] == "labelled rows per window" for p in plots) and results:
        counts = charts.series("labelled", xs, [float(r.labelled) for r in results])
        plots.append(charts.chart("labelled rows per window", [counts], time=True))
    return plots


def _window(text: str) -> dt.timedelta:
    if text not in WINDOWS:
        raise InvalidInput(f"window {text!r} is not one of {', '.join(WINDOWS)}")
    return WINDOWS[text]

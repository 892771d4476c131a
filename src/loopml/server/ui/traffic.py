"""Summaries for the deployments and monitoring pages (pure over frames and records)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from loopml.server.ui import charts
from loopml.store.events import EventLog
from loopml.store.streams import PREDICTIONS_PREFIX, predictions_stream

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.client import Client
    from loopml.monitoring.alerts import Alert
    from loopml.monitoring.records import WindowResult

BUCKETS = 60
LOG_COLUMNS = ("time", "model_version", "latency_ms", "shadow")


@dataclass(frozen=True, slots=True)
class DeploymentSummary:
    """What the deployments page shows for one deployment over a window."""

    name: str
    requests: int
    shadow_rows: int
    split: list[tuple[str, int, float]]
    latency_p50: float | None
    latency_p95: float | None
    plots: list[dict[str, Any]] = field(default_factory=list)
    last_seen: int | None = None


def deployment_names(client: Client) -> list[str]:
    """Deployments that have a prediction log or a monitor, sorted."""
    log = EventLog.from_store(client.store)
    prefix = f"{log.prefix}/{PREDICTIONS_PREFIX}/"
    names = {key[len(prefix) :].split("/", 1)[0] for key in log.backend.list(prefix)}
    names |= {m.deployment for m in client.monitors.list()}
    return sorted(n for n in names if n)


def recent(client: Client, deployment: str, span: dt.timedelta) -> Any:
    """The prediction log of ``deployment`` over the last ``span``: only what the page needs."""
    since = dt.datetime.now(dt.UTC) - span
    table = EventLog.from_store(client.store).read(
        predictions_stream(deployment), since, columns=LOG_COLUMNS
    )
    return table.to_pandas() if "latency_ms" in table.column_names else None


def summarise(name: str, frame: Any, span: dt.timedelta) -> DeploymentSummary:
    """Requests per bucket, latency percentiles and the traffic split of one deployment."""
    if frame is None or len(frame) == 0:
        return DeploymentSummary(name, 0, 0, [], None, None)
    shadow = frame["shadow"].fillna(False).astype(bool) if "shadow" in frame else None
    served = frame[~shadow] if shadow is not None else frame
    counts = served.groupby("model_version").size().sort_index()
    total = int(counts.sum())
    split = [(f"v{int(v)}", int(n), n / total if total else 0.0) for v, n in counts.items()]
    seconds = served["time"].astype("int64") // 10**9 if len(served) else served["time"]
    bucket_s = max(60, int(span.total_seconds()) // BUCKETS)
    buckets = (seconds // bucket_s) * bucket_s
    grouped = served.assign(bucket=buckets).groupby("bucket")
    rate = grouped.size()
    p50 = grouped["latency_ms"].quantile(0.5)
    p95 = grouped["latency_ms"].quantile(0.95)
    xs = [float(x) for x in rate.index]
    plots = [
        charts.chart(
            f"requests per {bucket_s // 60} min", [charts.series("rows", xs, list(rate))], time=True
        ),
        charts.chart(
            "latency (ms)",
            [charts.series("p50", xs, list(p50)), charts.series("p95", xs, list(p95))],
            time=True,
        ),
    ]
    latency = served["latency_ms"]
    return DeploymentSummary(
        name,
        total,
        int(shadow.sum()) if shadow is not None else 0,
        split,
        float(latency.quantile(0.5)) if total else None,
        float(latency.quantile(0.95)) if total else None,
        plots,
        int(served["time"].max().timestamp() * 1000) if total else None,
    )


@dataclass(frozen=True, slots=True)
class Mark:
    """An alert on the timeline: position and width in percent of the span."""

    left: float
    width: float
    css: str
    title: str


def timeline(results: Sequence[WindowResult], alerts: Sequence[Alert], now: int) -> dict[str, Any]:
    """Place alerts on a time axis from the first window (or alert) to now."""
    starts = [r.window_start.timestamp() for r in results[:1]]
    starts += [a.opened_at.timestamp() for a in alerts]
    end = now / 1000
    start = min(starts, default=end - 86400)
    span = max(end - start, 1.0)
    marks = []
    for a in alerts:
        opened = a.opened_at.timestamp()
        closed = a.resolved_at.timestamp() if a.resolved_at else end
        css = "resolved" if a.status == "resolved" else a.severity
        title = f"{a.severity} {a.rule}: {a.message} ({a.status})"
        left = 100 * (opened - start) / span
        marks.append(Mark(left, max(0.3, 100 * (closed - opened) / span), css, title))
    return {
        "marks": marks,
        "start": dt.datetime.fromtimestamp(start, tz=dt.UTC).strftime("%Y-%m-%d %H:%M"),
        "end": dt.datetime.fromtimestamp(end, tz=dt.UTC).strftime("%Y-%m-%d %H:%M"),
    }

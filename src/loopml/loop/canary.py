"""Judge a canary against the champion from live traffic (pure decision + readers).

Both arms are read from the same place: the deployment's prediction log since the
canary started (requests, p95 latency, labelled quality per model version) and, when
the rollout names servers, their Prometheus ``/metrics`` (error rate per version).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from loopml._utils.digits import is_digits
from loopml.monitoring.performance import evaluate
from loopml.store.predlog.reading import read_predictions

if TYPE_CHECKING:
    from loopml.loop.definition import Rollout
    from loopml.store.events import EventLog

_SAMPLE = re.compile(r"^loopml_serving_requests_total\{([^}]*)\}\s+([0-9.eE+-]+)$", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="([^"]*)"')


@dataclass(frozen=True, slots=True)
class Arm:
    """What one model version did during the canary."""

    version: int
    requests: int = 0
    p95_ms: float | None = None
    labelled: int = 0
    quality: float | None = None
    errors: int = 0
    answered: int = 0

    @property
    def error_rate(self) -> float | None:
        """Failed share of the requests the servers counted for this version."""
        total = self.errors + self.answered
        return None if total == 0 else self.errors / total

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {**{k: getattr(self, k) for k in self.__dataclass_fields__},
                "error_rate": self.error_rate}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Decision:
    """``wait``, ``promote`` or ``rollback``, with the reason."""

    action: Literal["wait", "promote", "rollback"]
    reason: str


def judge(policy: Rollout, champion: Arm, canary: Arm, elapsed_s: float) -> Decision:
    """Decide what to do with a canary now (pure).

    A breach (error rate, p95 latency or labelled quality worse than the champion by
    more than the policy's margin) rolls back at once; otherwise the canary is promoted
    after ``duration`` or ``min_requests`` canary requests, whichever comes first.
    """
    breach = _breach(policy, champion, canary)
    if breach is not None:
        return Decision("rollback", breach)
    done_by_time = elapsed_s >= policy.duration_s
    done_by_count = policy.min_requests is not None and canary.requests >= policy.min_requests
    if not (done_by_time or done_by_count):
        return Decision("wait", f"{canary.requests} canary requests after {elapsed_s:.0f} s")
    if canary.requests < policy.min_latency_requests:
        # never promote on no evidence: wait up to twice the duration, then give up
        if elapsed_s < 2 * policy.duration_s:
            return Decision(
                "wait", f"only {canary.requests} canary requests after {elapsed_s:.0f} s"
            )
        return Decision(
            "rollback",
            f"the canary answered {canary.requests} requests in {elapsed_s:.0f} s, "
            f"need {policy.min_latency_requests} to judge it",
        )
    note = ""
    if canary.labelled < policy.min_labels:
        note = f"; quality not judged ({canary.labelled} labels, need {policy.min_labels})"
    why = f"{canary.requests} requests" if done_by_count else f"{elapsed_s:.0f} s"
    return Decision("promote", f"canary healthy after {why}{note}")


def _breach(policy: Rollout, champion: Arm, canary: Arm) -> str | None:
    new, old = canary.error_rate, champion.error_rate
    if new is not None and new - (old or 0.0) > policy.max_error_rate_increase:
        return f"error rate {new:.2%} vs champion {(old or 0.0):.2%}"
    if (
        canary.p95_ms is not None and champion.p95_ms is not None
        and canary.requests >= policy.min_latency_requests
        and canary.p95_ms - champion.p95_ms > policy.latency_margin_ms
    ):  # fmt: skip
        return f"p95 latency {canary.p95_ms:.1f} ms vs champion {champion.p95_ms:.1f} ms"
    if (
        canary.quality is not None and champion.quality is not None
        and canary.labelled >= policy.min_labels and champion.labelled >= policy.min_labels
        and champion.quality - canary.quality > policy.quality_margin
    ):  # fmt: skip
        return (
            f"labelled quality {canary.quality:.4f} vs champion {champion.quality:.4f} "
            f"on {canary.labelled}/{champion.labelled} labels"
        )
    return None


def read_arms(
    log: EventLog, deployment: str, since: dt.datetime, champion: int, canary: int
) -> tuple[Arm, Arm]:
    """Both arms' requests, p95 latency and labelled quality from the prediction log."""
    end = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    window = read_predictions(log, deployment, since, end, shadow=False, with_feedback=True)
    has_label = "label" in window.columns and len(window) > 0
    labelled = window[window["label"].notna()] if has_label else window.iloc[0:0]
    return _arm(window, labelled, champion), _arm(window, labelled, canary)


def _arm(window: Any, labelled: Any, version: int) -> Arm:
    if len(window) == 0 or "model_version" not in window.columns:
        return Arm(version)
    rows = window[window["model_version"] == version]
    p95 = float(np.percentile(rows["latency_ms"], 95)) if len(rows) else None
    # rows of one request share their time and latency: count requests, not rows
    requests = len(rows[["time", "latency_ms"]].drop_duplicates()) if len(rows) else 0
    quality, count = None, 0
    if len(labelled) and "model_version" in labelled.columns:
        mine = labelled[labelled["model_version"] == version]
        count = len(mine)
        if count:
            result = evaluate(mine["label"].to_numpy(), mine["prediction"].to_numpy())
            metrics = result.metrics
            quality = metrics.get("accuracy") if result.task == "classification" else (
                -metrics["mae"] if "mae" in metrics else None
            )  # fmt: skip
    return Arm(version, requests, p95, count, quality)


def parse_request_counts(text: str, deployment: str) -> dict[int, tuple[int, int]]:
    """``version -> (answered, failed)`` from a model server's ``/metrics`` text (pure)."""
    out: dict[int, list[int]] = {}
    for labels_text, value in _SAMPLE.findall(text):
        labels = dict(_LABEL.findall(labels_text))
        if labels.get("deployment") != deployment or not is_digits(labels.get("version", "")):
            continue
        counts = out.setdefault(int(labels["version"]), [0, 0])
        failed = not labels.get("code", "200").startswith("2")
        counts[1 if failed else 0] += int(float(value))
    return {k: (v[0], v[1]) for k, v in out.items()}


def scrape(servers: tuple[str, ...], deployment: str) -> dict[int, tuple[int, int]]:
    """Sum the request counts of every server (unreachable servers are skipped)."""
    import httpx

    total: dict[int, tuple[int, int]] = {}
    for base in servers:
        try:
            text = httpx.get(f"{base}/metrics", timeout=5.0).text
        except httpx.HTTPError:
            continue
        for version, (ok, failed) in parse_request_counts(text, deployment).items():
            seen = total.get(version, (0, 0))
            total[version] = (seen[0] + ok, seen[1] + failed)
    return total


def with_errors(
    arm: Arm, now: dict[int, tuple[int, int]], start: dict[int, tuple[int, int]]
) -> Arm:
    """The arm with the servers' counts since the canary started."""
    ok, failed = now.get(arm.version, (0, 0))
    ok0, failed0 = start.get(arm.version, (0, 0))
    return Arm(arm.version, arm.requests, arm.p95_ms, arm.labelled, arm.quality,
               max(failed - failed0, 0), max(ok - ok0, 0))  # fmt: skip

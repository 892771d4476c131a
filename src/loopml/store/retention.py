"""Retention: drop old prediction-log and feedback partitions and old monitor results.

A policy comes from the ``retention`` section of ``loopml.yaml``::

    retention:
      predictions: {max_age: 30d}          # every deployment's prediction log
      feedback: {max_age: 90d}
      monitor_results: {max_age: 180d, keep_last: 1000}   # per monitor
      deployments:                          # per-deployment overrides
        churn: {max_age: 7d}

Event streams are partitioned by UTC day, so ages are applied by whole days: a day is
dropped once all of it is older than ``max_age``. ``loopml gc --retention`` applies the
policy now; the scheduler applies it every hour (job source ``retention``).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, or_, select

from loopml import config
from loopml.errors import ConfigError
from loopml.store.events import EventLog
from loopml.store.streams import FEEDBACK_STREAM
from loopml.store.tables import monitoring as monitoring_tables

if TYPE_CHECKING:
    from collections.abc import Mapping

    from loopml.store import Store

logger = logging.getLogger(__name__)

_DURATION = re.compile(r"^\s*(\d+)\s*([smhdw])\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_DATE = re.compile(r"/date=(\d{4}-\d{2}-\d{2})/")
PREDICTIONS_PREFIX = "predictions/"


@dataclass(frozen=True, slots=True)
class RetentionPolicy:
    """How long each kind of record is kept (``None``: forever)."""

    predictions: dt.timedelta | None = None
    feedback: dt.timedelta | None = None
    monitor_results: dt.timedelta | None = None
    monitor_keep_last: int | None = None
    deployments: Mapping[str, dt.timedelta | None] = field(default_factory=dict)

    @classmethod
    def from_mapping(cls, section: Mapping[str, Any] | None) -> RetentionPolicy:
        """Parse the ``retention`` section of ``loopml.yaml``."""
        section = dict(section or {})
        results = dict(section.get("monitor_results") or {})
        keep_last = results.get("keep_last")
        if keep_last is not None and (not isinstance(keep_last, int) or keep_last < 1):
            raise ConfigError(
                f"retention.monitor_results.keep_last must be a positive integer, not {keep_last!r}"
            )
        return cls(
            predictions=parse_age(_age_of(section, "predictions")),
            feedback=parse_age(_age_of(section, "feedback")),
            monitor_results=parse_age(results.get("max_age")),
            monitor_keep_last=keep_last,
            deployments={
                str(name): parse_age((body or {}).get("max_age"))
                for name, body in dict(section.get("deployments") or {}).items()
            },
        )

    def for_deployment(self, deployment: str) -> dt.timedelta | None:
        """The prediction-log age limit of one deployment."""
        if deployment in self.deployments:
            return self.deployments[deployment]
        return self.predictions


@dataclass(slots=True)
class RetentionReport:
    """What retention removed: files and bytes per stream, monitor result rows."""

    files: dict[str, int] = field(default_factory=dict)
    freed_bytes: int = 0
    monitor_results: int = 0
    dry_run: bool = False


def parse_age(value: Any) -> dt.timedelta | None:
    """Parse ``30d``, ``12h``, ``2w`` (or a number of days) into a timedelta."""
    if value is None:
        return None
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return dt.timedelta(days=value)
    match = _DURATION.match(str(value))
    if not match or int(match.group(1)) <= 0:
        raise ConfigError(
            f"retention age {value!r} is not a positive duration; write e.g. 30d, 12h or 2w"
        )
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def _age_of(section: Mapping[str, Any], name: str) -> Any:
    body = section.get(name)
    return body.get("max_age") if isinstance(body, dict) else body


def apply_retention(
    store: Store,
    policy: RetentionPolicy,
    *,
    now: dt.datetime | None = None,
    dry_run: bool = False,
) -> RetentionReport:
    """Apply ``policy`` to the prediction logs, feedback and monitor results of ``store``."""
    moment = now or dt.datetime.now(dt.UTC)
    report = RetentionReport(dry_run=dry_run)
    log = EventLog.from_store(store)
    for deployment in _deployments(log):
        limit = policy.for_deployment(deployment)
        if limit is not None:
            _prune(log, f"{PREDICTIONS_PREFIX}{deployment}", moment - limit, report)
    if policy.feedback is not None:
        _prune(log, FEEDBACK_STREAM, moment - policy.feedback, report)
    report.monitor_results = _prune_results(store, policy, moment, dry_run)
    logger.info(
        "retention %s %d files (%d bytes) and %d monitor results",
        "would remove" if dry_run else "removed",
        sum(report.files.values()),
        report.freed_bytes,
        report.monitor_results,
    )
    return report


def _deployments(log: EventLog) -> list[str]:
    names = set()
    for key in log.backend.list(f"{log.prefix}/{PREDICTIONS_PREFIX}"):
        rest = key[len(f"{log.prefix}/{PREDICTIONS_PREFIX}") :]
        names.add(rest.split("/date=", 1)[0])
    return sorted(name for name in names if name)


def _prune(log: EventLog, stream: str, cutoff: dt.datetime, report: RetentionReport) -> None:
    last_day_dropped = (cutoff - dt.timedelta(days=1)).date().isoformat()
    for key in list(log.backend.list(f"{log.prefix}/{stream}/")):
        match = _DATE.search(key)
        if match is None or match.group(1) > last_day_dropped:
            continue
        report.freed_bytes += _size(log, key)
        report.files[stream] = report.files.get(stream, 0) + 1
        if not report.dry_run:
            log.backend.delete(key)


def _size(log: EventLog, key: str) -> int:
    backend: Any = log.backend
    local = backend.local_path(key)
    if local is not None:
        return int(local.stat().st_size)
    fs = getattr(backend, "fs", None)
    return int(fs.size(backend._path(key))) if fs is not None else 0


def _prune_results(store: Store, policy: RetentionPolicy, now: dt.datetime, dry_run: bool) -> int:
    table = monitoring_tables.monitor_results
    time_column = table.c.window_end
    conditions = []
    if policy.monitor_results is not None:
        conditions.append(time_column < int((now - policy.monitor_results).timestamp() * 1000))
    if policy.monitor_keep_last is not None:
        rank = (
            select(
                table.c.id,
                func.row_number()
                .over(partition_by=table.c.monitor, order_by=time_column.desc())
                .label("rank"),
            )
        ).subquery()
        stale = select(rank.c.id).where(rank.c.rank > policy.monitor_keep_last)
        conditions.append(table.c.id.in_(stale))
    if not conditions:
        return 0
    where = or_(*conditions)  # either limit removes a row
    with store.db.write() as conn:
        if dry_run:
            return int(
                conn.execute(select(func.count()).select_from(table).where(where)).scalar() or 0
            )
        return int(conn.execute(delete(table).where(where)).rowcount or 0)


class RetentionJob:
    """The scheduler's hourly retention pass over one store."""

    name = "retention"

    def __init__(self, source: RetentionJobs, due_at: dt.datetime) -> None:
        self.source = source
        self.due_at = due_at

    def run(self) -> RetentionReport:
        """Apply the policy now."""
        return apply_retention(self.source.store, self.source.policy, now=self.due_at)


class RetentionJobs:
    """Job source for ``loopml scheduler``: one retention pass at the top of every hour.

    The policy is the ``retention`` section of the project's ``loopml.yaml`` (read when
    the scheduler opens its job sources); without one there is nothing to do.
    """

    def __init__(self, store: Store, policy: RetentionPolicy | None = None) -> None:
        self.store = store
        self.policy = policy if policy is not None else _configured_policy()
        self._done: dt.datetime | None = None

    def due(self, now: dt.datetime) -> list[RetentionJob]:
        """The pass of the current hour, unless it ran already or there is no policy."""
        if self.policy == RetentionPolicy():
            return []
        hour = now.replace(minute=0, second=0, microsecond=0)
        if self._done == hour:
            return []
        self._done = hour
        return [RetentionJob(self, hour)]

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        """The top of the next hour (``None`` without a policy)."""
        if self.policy == RetentionPolicy():
            return None
        return now.replace(minute=0, second=0, microsecond=0) + dt.timedelta(hours=1)


def retention_jobs(store: Store) -> RetentionJobs:
    """Return the retention job source of ``store`` (the registered factory)."""
    return RetentionJobs(store)


def _configured_policy() -> RetentionPolicy:
    settings = config.resolve()
    return RetentionPolicy.from_mapping(settings.extra.get("retention"))

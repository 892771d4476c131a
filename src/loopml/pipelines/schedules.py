"""Cron schedules: validation and tick arithmetic (pure apart from croniter and zoneinfo).

Schedules are five-field cron expressions (``"0 3 * * *"``) or the macros ``@hourly``,
``@daily``, ``@weekly``, ``@monthly``, ``@yearly``, evaluated in a time zone (UTC by
default). Ticks are aware UTC datetimes.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from croniter import croniter

from loopml.pipelines.errors import PipelineDefinitionError


def check(schedule: str, timezone: str = "UTC") -> str:
    """Return ``schedule`` stripped, after checking it and the time zone.

    Raises:
        PipelineDefinitionError: not a valid cron expression or time zone.
    """
    text = str(schedule).strip()
    if not croniter.is_valid(text) or len(text.split()) not in (1, 5):
        raise PipelineDefinitionError(
            f"schedule {schedule!r} is not a cron expression; use five fields "
            "'minute hour day-of-month month day-of-week' such as '0 3 * * *' (03:00 daily) "
            "or a macro such as '@hourly'"
        )
    _zone(timezone)
    return text


def previous_tick(schedule: str, now: dt.datetime, timezone: str = "UTC") -> dt.datetime:
    """Return the latest tick at or before ``now`` (aware UTC)."""
    local = _local(now, timezone)
    probe = local + dt.timedelta(microseconds=1)
    tick: dt.datetime = croniter(schedule, probe).get_prev(dt.datetime)
    return tick.astimezone(dt.UTC)


def next_tick(schedule: str, now: dt.datetime, timezone: str = "UTC") -> dt.datetime:
    """Return the first tick strictly after ``now`` (aware UTC)."""
    tick: dt.datetime = croniter(schedule, _local(now, timezone)).get_next(dt.datetime)
    return tick.astimezone(dt.UTC)


def _local(moment: dt.datetime, timezone: str) -> dt.datetime:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(_zone(timezone))


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise PipelineDefinitionError(
            f"unknown time zone {timezone!r}; use an IANA name such as 'UTC' or 'Europe/Berlin'"
        ) from err

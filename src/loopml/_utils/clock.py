"""Clock helpers: loopml stores instants as integer milliseconds since the epoch (UTC)."""

from __future__ import annotations

import datetime as dt
import time


def now_ms() -> int:
    """Return the current time in milliseconds since the epoch."""
    return time.time_ns() // 1_000_000


def ms_to_datetime(ms: int | None) -> dt.datetime | None:
    """Convert epoch milliseconds to an aware UTC datetime (``None`` passes through)."""
    if ms is None:
        return None
    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC)


def to_ms(value: int | float | dt.datetime) -> int:
    """Convert a datetime (naive means UTC) or a number of epoch milliseconds to ms."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        return int(value.timestamp() * 1000)
    return int(value)


_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str | int | float | dt.timedelta) -> dt.timedelta:
    """Parse ``"30s"``, ``"5m"``, ``"1h"``, ``"7d"``, ``"2w"`` (or seconds) into a timedelta.

    Raises:
        ValueError: the text is not a number followed by one of ms, s, m, h, d, w.
    """
    if isinstance(text, dt.timedelta):
        return text
    if isinstance(text, int | float):
        return dt.timedelta(seconds=float(text))
    raw = text.strip().lower()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if raw.endswith(unit):
            number = raw[: -len(unit)].strip()
            try:
                return dt.timedelta(seconds=float(number) * _UNITS[unit])
            except ValueError:
                break
    raise ValueError(
        f"cannot read duration {text!r}; write a number and a unit such as '30s', '5m', '1h', '7d'"
    )

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


def to_instant(value: dt.datetime | str | int | float | dt.timedelta) -> dt.datetime:
    """Read a point in time: a datetime, an ISO 8601 text, epoch ms, or a look-back.

    A look-back (``"10m"``, ``"24h"``, a ``timedelta``) means that long before now; naive
    datetimes and texts are UTC.

    Raises:
        ValueError: the value is none of these.
    """
    if isinstance(value, dt.timedelta):
        return dt.datetime.now(dt.UTC) - value
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.UTC)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            try:
                return dt.datetime.now(dt.UTC) - parse_duration(value)
            except ValueError:
                pass
        else:
            return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)
    raise ValueError(
        f"cannot read {value!r} as a time; pass a datetime, an ISO 8601 text such as "
        "'2024-05-01T12:00', epoch milliseconds, or a look-back such as '10m' or '24h'"
    )

"""Monitor definitions and the results they produce (plain data, no I/O).

Example:
    >>> monitor = Monitor("churn", reference="ref.parquet", window="1h",
    ...                   schedule="*/5 * * * *", rules=["drift.share > 0.3:critical"])
    >>> monitor.rules[0].severity
    'critical'
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from loopml._utils.clock import parse_duration
from loopml.data import Schema
from loopml.errors import InvalidInput
from loopml.monitoring.options import DriftConfig
from loopml.monitoring.rules import Rule

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Mapping, Sequence

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,127}$")


class Monitor:
    """What to watch, against which reference, how often, and when to alert.

    Constructing a monitor does no I/O; save it with ``lm.save_monitor(monitor)`` (which
    summarises the reference once and stores it) and evaluate it with ``lm.run_monitor``,
    ``loopml monitor run`` or the scheduler.

    Args:
        name: the monitor's name (letters, digits, ``_ . -``).
        reference: the reference data: a DataFrame or Arrow table, a parquet/CSV path,
            ``"runs:/<run_id>/<artifact>"`` (a table logged by a training run), a dataset
            version (``"datasets:/customers@3"`` or a ``DatasetVersion``), a stored
            summary digest ``"sha256:<hex>"``, or a fitted ``ReferenceSummary``.
        features: columns to monitor (default: every reference column).
        categorical: numeric-looking columns to treat as categorical.
        deployment: the prediction log to read (default: ``name``).
        window: length of the evaluated window (``"1h"``, ``"30m"``, ``"1d"``).
        schedule: cron expression of evaluation times (default: every ``window``).
        rules: alert rules (:class:`Rule`, ``"expr[:severity]"`` strings or mappings).
        drift: drift options (:class:`DriftConfig` or a mapping of its fields).
        task: ``classification`` or ``regression`` for performance (default: inferred).
        positive_label: positive class of a binary classifier (default: 1/true/yes).
        channels: notification channels: ``"log"``, ``{"type": "webhook", "url": ...}``.
        schema: a data schema (``lm.Schema`` or its ``to_dict()``) each window is validated
            against; failures become ``quality.schema.*`` metrics.
        label_delay: judge performance on the predictions of the window that ended this
            long ago, so that their labels had time to arrive (default: the same window).

    Raises:
        InvalidInput: a malformed name, window, schedule, rule or option.
    """

    def __init__(
        self,
        name: str,
        reference: Any,
        *,
        features: Sequence[str] | None = None,
        categorical: Sequence[str] = (),
        deployment: str | None = None,
        window: str | dt.timedelta = "1h",
        schedule: str | None = None,
        rules: Sequence[Rule | str | Mapping[str, Any]] = (),
        drift: DriftConfig | Mapping[str, Any] | None = None,
        task: str | None = None,
        positive_label: str | None = None,
        channels: Sequence[str | Mapping[str, Any]] = ("log",),
        label_delay: str | dt.timedelta = "0s",
        schema: Schema | Mapping[str, Any] | None = None,
    ) -> None:
        check_name(name)
        self.name = name
        self.reference = reference
        self.features = list(features) if features is not None else None
        self.categorical = list(categorical)
        self.deployment = deployment or name
        self.window = window_of(window)
        self.schedule = check_schedule(schedule) if schedule else None
        self.rules = [Rule.from_value(r) for r in rules]
        _unique_rules(self.rules)
        self.drift = drift if isinstance(drift, DriftConfig) else DriftConfig.from_dict(drift)
        if task not in (None, "classification", "regression"):
            raise InvalidInput(f"task must be 'classification' or 'regression', not {task!r}")
        self.task = task
        self.positive_label = positive_label
        self.channels = [channel_spec(c) for c in channels]
        self.label_delay = _delay(label_delay)
        self.schema = _schema(schema)

    def __repr__(self) -> str:
        return f"Monitor({self.name!r}, deployment={self.deployment!r}, window={self.window})"

    def config(self) -> dict[str, Any]:
        """Return everything but the reference as JSON-ready values (what is stored)."""
        return {
            "features": self.features,
            "categorical": self.categorical,
            "window_s": self.window.total_seconds(),
            "schedule": self.schedule,
            "rules": [r.to_dict() for r in self.rules],
            "drift": self.drift.to_dict(),
            "task": self.task,
            "positive_label": self.positive_label,
            "channels": self.channels,
            "label_delay_s": self.label_delay.total_seconds(),
            "schema": self.schema,
        }


def _schema(value: Schema | Mapping[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, Schema):
        return value.to_dict()
    return Schema.from_dict(dict(value)).to_dict()  # validates the mapping


def _delay(value: str | dt.timedelta) -> dt.timedelta:
    try:
        delay = parse_duration(value)
    except ValueError as err:
        raise InvalidInput(str(err)) from err
    if delay.total_seconds() < 0:
        raise InvalidInput(f"label_delay must not be negative, not {value!r}")
    return delay


def check_name(name: str) -> None:
    """Raise :class:`InvalidInput` unless ``name`` is a valid monitor name."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInput(
            f"monitor name {name!r} must start with a letter or digit and use only letters, "
            "digits, '_', '.' and '-' (at most 128 characters)"
        )


def window_of(value: str | dt.timedelta) -> dt.timedelta:
    """Parse a window length such as ``"1h"``; it must be positive."""
    try:
        window = parse_duration(value)
    except ValueError as err:
        raise InvalidInput(str(err)) from err
    if window.total_seconds() <= 0:
        raise InvalidInput(f"window must be positive, not {value!r}")
    return window


def check_schedule(schedule: str) -> str:
    """Return ``schedule`` if it is a valid cron expression.

    Raises:
        InvalidInput: it is not.
    """
    from croniter import croniter

    if not croniter.is_valid(schedule):
        raise InvalidInput(
            f"schedule {schedule!r} is not a cron expression; use five fields such as "
            "'*/5 * * * *' (every five minutes)"
        )
    return schedule


def channel_spec(value: str | Mapping[str, Any]) -> dict[str, Any]:
    """Normalise a channel given as ``"log"``, a webhook URL or a mapping with ``type``."""
    if isinstance(value, str):
        is_url = value.startswith(("http://", "https://"))
        value = {"type": "webhook", "url": value} if is_url else {"type": value}
    spec = dict(value)
    if "type" not in spec:
        raise InvalidInput(f"a channel needs a 'type' (log or webhook), got {spec!r}")
    if spec["type"] == "webhook" and not str(spec.get("url", "")).startswith(
        ("http://", "https://")
    ):
        raise InvalidInput(f"a webhook channel needs an http(s) 'url', got {spec.get('url')!r}")
    if spec["type"] not in ("log", "webhook"):
        raise InvalidInput(
            f"unknown channel type {spec['type']!r}; stored channels are 'log' or 'webhook' "
            "(use lm.subscribe_alerts for Python callbacks)"
        )
    return spec


def _unique_rules(rules: Sequence[Rule]) -> None:
    names = [r.name for r in rules]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InvalidInput(f"rule names must be unique within a monitor; repeated: {duplicates}")

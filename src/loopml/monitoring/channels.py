"""Alert notification channels: log, webhook (with retries), Python callback.

A channel is anything with ``send(event)``. Stored monitors name their channels as data
(``"log"``, ``{"type": "webhook", "url": ...}``); Python callbacks are added in-process
with ``lm.subscribe_alerts``. A failing channel never stops a monitor run: the failure is
logged and the other channels still get the event.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

from loopml.errors import BackendUnavailable, InvalidInput

if TYPE_CHECKING:
    import datetime as dt
    from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """A change of an alert's state: ``kind`` is ``opened`` or ``resolved``.

    ``id`` increases with every event, so a subscriber can poll with a cursor
    (``lm.alert_events(after=last_id)``).
    """

    id: int
    alert_id: int
    monitor: str
    rule: str
    kind: str
    severity: str
    at: dt.datetime
    value: float | None
    message: str

    def to_dict(self) -> dict[str, Any]:
        """Return the event as JSON-ready values (the webhook body)."""
        out = asdict(self)
        out["at"] = self.at.isoformat()
        return out


class AlertChannel(Protocol):
    """Where alert events are delivered."""

    def send(self, event: AlertEvent) -> None:
        """Deliver one event (raise on failure)."""


class ChannelError(BackendUnavailable):
    """A channel could not deliver an event after its retries."""


class LogChannel:
    """Log each event on the ``loopml.monitoring.alerts`` logger (WARNING, ERROR if critical)."""

    log = logging.getLogger("loopml.monitoring.alerts")

    def send(self, event: AlertEvent) -> None:
        """Log the event."""
        level = (
            logging.ERROR
            if event.severity == "critical" and event.kind == "opened"
            else logging.WARNING
        )
        if event.kind == "resolved":
            level = logging.INFO
        self.log.log(
            level,
            "alert %s: monitor %s rule %r (%s): %s",
            event.kind, event.monitor, event.rule, event.severity, event.message,
            extra={"monitor": event.monitor, "alert_id": event.alert_id},
        )  # fmt: skip


class WebhookChannel:
    """POST each event as JSON to ``url``, retrying connection errors, 429 and 5xx.

    Args:
        url: the endpoint.
        retries: extra attempts after the first one.
        backoff_s: first pause between attempts (doubled each time).
        timeout_s: per-request timeout.
        headers: extra HTTP headers (for example an authorisation token).
    """

    def __init__(
        self,
        url: str,
        *,
        retries: int = 3,
        backoff_s: float = 0.5,
        timeout_s: float = 5.0,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InvalidInput(f"a webhook needs an http(s) URL, not {url!r}")
        self.url = url
        self.retries = retries
        self.backoff_s = backoff_s
        self.timeout_s = timeout_s
        self.headers = dict(headers or {})

    def send(self, event: AlertEvent) -> None:
        """POST the event; raise :class:`ChannelError` when every attempt failed."""
        import httpx

        body = json.dumps(event.to_dict()).encode()
        headers = {"content-type": "application/json", **self.headers}
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff_s * 2 ** (attempt - 1))
            try:
                response = httpx.post(
                    self.url, content=body, headers=headers, timeout=self.timeout_s
                )
            except httpx.HTTPError as err:
                problem = f"{type(err).__name__}: {err}"
                continue
            if response.status_code < 300:
                return
            problem = f"HTTP {response.status_code}"
            if response.status_code != 429 and response.status_code < 500:
                break
        raise ChannelError(
            f"webhook {self.url} did not accept alert event {event.id} after "
            f"{attempt + 1} attempt(s): {problem}"
        )


class CallbackChannel:
    """Call a Python function with each event."""

    def __init__(self, callback: Callable[[AlertEvent], Any]) -> None:
        self.callback = callback

    def send(self, event: AlertEvent) -> None:
        """Call the function."""
        self.callback(event)


def from_spec(spec: Mapping[str, Any]) -> AlertChannel:
    """Build a channel from its stored description."""
    kind = spec.get("type")
    if kind == "log":
        return LogChannel()
    if kind == "webhook":
        options = {
            k: spec[k] for k in ("retries", "backoff_s", "timeout_s", "headers") if k in spec
        }
        return WebhookChannel(spec["url"], **options)
    raise InvalidInput(f"unknown channel type {kind!r}; use 'log' or 'webhook'")


def deliver(channels: list[AlertChannel], events: list[AlertEvent]) -> list[str]:
    """Send every event to every channel; return the error messages (never raises)."""
    errors = []
    for event in events:
        for channel in channels:
            try:
                channel.send(event)
            except Exception as err:  # a channel must never break a monitor run
                message = f"{type(channel).__name__}: {err}"
                logger.error("alert notification failed: %s", message)
                errors.append(message)
    return errors

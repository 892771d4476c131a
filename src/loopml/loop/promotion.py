"""Alias moves of the loop: promote, start and end a canary, roll back.

Servers follow aliases (hot swap), so every rollout step is one alias move, recorded in
the alias history with its reason. After a promotion the monitor's reference follows the
champion: it becomes the new champion's training set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from loopml.errors import Conflict, NotFound
from loopml.monitoring import Monitor

if TYPE_CHECKING:
    from loopml.models import AliasChange, Models
    from loopml.monitoring import Monitoring

logger = logging.getLogger(__name__)


class NothingToRollBack(Conflict):
    """The alias has no earlier version to return to."""


def current_version(models: Models, model: str, alias: str) -> int | None:
    """The version ``alias`` points at, or ``None`` when it is not set."""
    try:
        return models.resolve_alias(model, alias)
    except NotFound:
        return None


def move(models: Models, model: str, alias: str, version: int, reason: str) -> AliasChange | None:
    """Point ``alias`` at ``version`` with ``reason`` (kept in the alias history)."""
    change = models.set_alias(model, alias, version, reason=reason, by="loopml-loop")
    logger.info("%s@%s -> version %s (%s)", model, alias, version, reason)
    return change


def previous_version(models: Models, model: str, alias: str) -> int | None:
    """The version ``alias`` pointed at before its latest move, from the alias history."""
    history = [h for h in models.alias_history(model, alias) if h.action != "deleted"]
    if not history:
        return None
    return history[-1].previous_version


def rollback(models: Models, model: str, alias: str = "champion", *, reason: str | None = None,
             to: int | None = None) -> AliasChange:  # fmt: skip
    """Move ``alias`` back to the version it pointed at before (or to ``to``).

    Raises:
        NothingToRollBack: the alias was never moved (nothing earlier to return to).
    """
    now = current_version(models, model, alias)
    target = to if to is not None else previous_version(models, model, alias)
    if target is None or target == now:
        raise NothingToRollBack(
            f"{model}@{alias} points at version {now} and has no earlier version to roll back "
            f"to; see `loopml models history {model}` or pass a version"
        )
    why = reason or f"rollback from version {now} to {target}"
    change = move(models, model, alias, target, why)
    assert change is not None
    return change


def follow_champion(monitors: Monitoring, monitor: str, reference: str) -> bool:
    """Make the monitor's reference the new champion's training set; return whether done."""
    try:
        info = monitors.get(monitor)
    except NotFound:
        logger.warning("monitor %s not found; its reference cannot follow the champion", monitor)
        return False
    columns = info.features or monitors.reference(monitor).names
    monitors.save(Monitor(
        info.name, reference, features=columns, categorical=info.categorical,
        deployment=info.deployment, window=info.window, schedule=info.schedule,
        rules=info.rules, drift=info.drift, task=info.task,
        positive_label=info.positive_label, channels=info.channels,
        label_delay=info.label_delay, schema=info.schema,
    ))  # fmt: skip
    return True

"""Alias moves of the loop: promote, start and end a canary, roll back.

Servers follow aliases (hot swap), so every rollout step is one alias move, recorded in
the alias history with its reason. A canary also sets its share of traffic on the
running deployment (:mod:`loopml.serving.canary_share`): servers pick it up at their next
alias poll, and drop the canary route when the share is cleared. After a promotion the
monitor's reference follows the champion: it becomes the new champion's training set.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from loopml.errors import Conflict, NotFound
from loopml.monitoring import Monitor
from loopml.serving.canary_share import format_share, tag_key

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


def set_canary_share(
    models: Models, model: str, deployment: str, alias: str, percent: float
) -> None:
    """Send ``percent`` % of ``deployment``'s traffic to ``model@alias`` (servers follow)."""
    models.set_model_tags(model, {tag_key(deployment): format_share(alias, percent)})
    logger.info("%s: %g%% of traffic to %s@%s", deployment, percent, model, alias)


def clear_canary_share(models: Models, model: str, deployment: str) -> None:
    """End the canary share of ``deployment`` (servers drop the canary route)."""
    models.delete_model_tag(model, tag_key(deployment))
    logger.info("%s: canary share cleared", deployment)


def canary_share(models: Models, model: str, deployment: str) -> str | None:
    """The canary share set on ``deployment`` (``"challenger:30"``), or ``None``."""
    try:
        return models.get_registered_model(model).tags.get(tag_key(deployment))
    except NotFound:
        return None


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

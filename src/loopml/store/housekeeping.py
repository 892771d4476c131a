"""``Housekeeping``: garbage collection of blobs and retention, over one store."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from loopml.errors import InvalidInput
from loopml.store.gc import GcReport, collect_garbage
from loopml.store.retention import (
    RetentionPolicy,
    RetentionReport,
    apply_retention,
    parse_age,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from loopml.store import Store


class Housekeeping:
    """Keep the artifact store and the streams from growing forever.

    Args:
        store: the store to tidy.
        retention: the ``retention`` section of ``loopml.yaml`` (see
            :mod:`loopml.store.retention`).
    """

    def __init__(self, store: Store, retention: Mapping[str, Any] | None = None) -> None:
        self.store = store
        self.policy = RetentionPolicy.from_mapping(retention)

    def collect_garbage(
        self,
        *,
        grace: dt.timedelta | str = "24h",
        dry_run: bool = False,
        progress: Callable[[int, int], None] | None = None,
    ) -> GcReport:
        """Delete blobs that no run, model, dataset, feature view or pipeline references.

        Args:
            grace: keep unreferenced blobs younger than this (``"24h"``, ``"30m"``, a
                timedelta): writers store bytes before the row that references them.
            dry_run: only report what would be deleted.
            progress: called with ``(done, total)`` while candidates are examined.

        Returns:
            A :class:`~loopml.store.gc.GcReport` (deleted digests, freed bytes...).

        Raises:
            Conflict: another collection is running on this store.

        Example:
            >>> lm.collect_garbage(dry_run=True).freed_bytes  # doctest: +SKIP
            0
        """
        age = grace if isinstance(grace, dt.timedelta) else _age(grace)
        return collect_garbage(self.store, grace=age, dry_run=dry_run, progress=progress)

    def apply_retention(
        self, *, dry_run: bool = False, now: dt.datetime | None = None
    ) -> RetentionReport:
        """Drop prediction-log, feedback and monitor-result records past the policy.

        Args:
            dry_run: only report what would be removed.
            now: the reference time (default: now).

        Returns:
            A :class:`~loopml.store.retention.RetentionReport`.
        """
        return apply_retention(self.store, self.policy, now=now, dry_run=dry_run)


def _age(text: str) -> dt.timedelta:
    age = parse_age(text)
    if age is None:  # pragma: no cover - parse_age returns None only for None
        raise InvalidInput("grace must be a duration such as 24h")
    return age

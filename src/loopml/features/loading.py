"""Run one materialization: lease, window, query, pack, one atomic write, history.

The view's lease is renewed while the work goes on and lapses ``LEASE_S`` seconds after
a killed process's last renewal. Each run also writes a marker into the online store in
the same atomic batch as the values; an incremental run that finds its marker missing
(the online store was flushed, lost or replaced) materializes the whole view again.
"""

from __future__ import annotations

import logging
import struct
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from loopml.features import materialize as mat, retrieval, state
from loopml.features.errors import MaterializationInProgress
from loopml.features.reading import connect
from loopml.store import leases

if TYPE_CHECKING:
    import pandas as pd

    from loopml.features.codec import Codec
    from loopml.features.online import OnlineStore
    from loopml.features.reading import SourceContext
    from loopml.features.registry import ViewVersion
    from loopml.store import Store

logger = logging.getLogger(__name__)
#: seconds a materialization lease outlives its holder's last renewal
LEASE_S = 30.0
_FAR_FUTURE_US = 2**62 // 1000
#: the key of the marker; 0xFF never occurs in UTF-8, so no entity key encodes to it
MARKER_KEY = b"\xff.loopml.materialized"


@dataclass(frozen=True, slots=True)
class Job:
    """What a materialization needs from the feature store."""

    store: Store
    online: OnlineStore
    online_url: str
    ctx: SourceContext
    codec: Codec


def materialize_view(
    job: Job,
    view: ViewVersion,
    start_us: int | None,
    end_us: int,
    *,
    ranged: bool,
    force: bool = False,
) -> mat.Materialization:
    """Materialize one view; see :meth:`FeatureStore.materialize`.

    Raises:
        MaterializationInProgress: another process holds the view's lease (and not ``force``).
    """
    began = time.perf_counter()
    db = job.store.db
    lease, holder = f"features.materialize.{view.name}", uuid.uuid4().hex
    if not leases.acquire(db, lease, holder, ttl_s=LEASE_S, force=force):
        raise MaterializationInProgress(
            f"feature view {view.name!r} is being materialized by another process "
            f"({leases.holder_of(db, lease)}); wait for it to finish (its lease lapses "
            f"{LEASE_S:.0f} s after that process stops), or pass --force if it is known dead"
        )
    with leases.KeptLease(db, lease, holder, LEASE_S):
        has_created = view.view.created_timestamp is not None
        current = state.watermark(job.store, view, job.online_url)
        if current is not None and not ranged and not has_marker(job, view):
            logger.warning(
                "the online store %s lost %s (no marker of earlier runs): materializing it in full",
                job.online_url,
                view.name,
            )
            current = None
        mode: mat.Mode = "range" if ranged else "incremental"
        if ranged:
            window = mat.Window(start_us, end_us)
        else:
            window = mat.incremental_window(current, end_us, has_created)
        run_id = state.start(job.store, view, job.online_url, mode, window)
        try:
            entities, written = load(job, view, window)
            new = mat.next_watermark(current, window, mode, has_created)
            state.finish(job.store, run_id, view, job.online_url, entities, new)
        except BaseException as err:
            state.fail(job.store, run_id, err)
            raise
    seconds = time.perf_counter() - began
    logger.info("materialized %s v%d: %d entities", view.name, view.version, entities)
    return mat.Materialization(
        view.name,
        view.version,
        mode,
        window.start_us,
        window.end_us,
        entities,
        written,
        seconds,
        new,
    )


def push(job: Job, view: ViewVersion, frame: pd.DataFrame) -> tuple[int, int]:
    """Write the latest row per entity of ``frame`` straight to the online store.

    Returns:
        ``(entities in frame, entities written)``; stored values with a newer event time
        are kept.

    Raises:
        SourceSchemaChanged: a column the view needs is missing or has an unusable type.
    """
    con = connect()
    try:
        con.register("__lm_push", frame)
        join = retrieval.join_over(con, view, view.view.feature_names, "__lm_push")
        window = mat.Window(None, _FAR_FUTURE_US)
        table = con.sql(mat.build_latest_sql(join, window)).to_arrow_table()
    finally:
        con.close()
    types = tuple(view.feature_types[f] for f in view.view.feature_names)
    keys, values, events = mat.encode_table(table, join.keys, types, job.codec)
    written = job.online.write_batch(view.namespace, keys, values, events)
    logger.info("pushed %d entities to %s v%d", table.num_rows, view.name, view.version)
    return table.num_rows, written


def load(job: Job, view: ViewVersion, window: mat.Window) -> tuple[int, int]:
    """Write the latest values of ``window`` to the online store; return (entities, written)."""
    con = connect()
    try:
        join = retrieval.view_join(con, view, view.view.feature_names, job.ctx)
        table = con.sql(mat.build_latest_sql(join, window)).to_arrow_table()
    finally:
        con.close()
    types = tuple(view.feature_types[f] for f in view.view.feature_names)
    keys, values, events = mat.encode_table(table, join.keys, types, job.codec)
    written = job.online.write_batch(view.namespace, keys, values, events)
    marker_us = float(window.end_us)
    marker = struct.pack("<d", marker_us) + b"loopml"
    job.online.write_batch(view.namespace, [MARKER_KEY], [marker], [marker_us])
    return table.num_rows, written


def has_marker(job: Job, view: ViewVersion) -> bool:
    """Whether the online store still holds what earlier materializations wrote."""
    return job.online.read(view.namespace, [MARKER_KEY])[0] is not None

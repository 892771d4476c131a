"""Reference sources: resolve what the user gave into data, summarise once, store the summary.

A reference summary is stored as a content-addressed blob and described in the
``monitor_references`` table, so saving the same reference twice costs nothing and a
check never reads the raw reference again.
"""

from __future__ import annotations

import functools
from typing import TYPE_CHECKING, Any

from sqlalchemy import select

from loopml._utils.clock import now_ms
from loopml.data import Datasets, DatasetVersion
from loopml.errors import InvalidInput, NotFound
from loopml.monitoring.summary import ReferenceSummary
from loopml.store.lineage import Node
from loopml.store.tables import monitoring as t
from loopml.tracking import reads
from loopml.tracking.artifacts import decode

if TYPE_CHECKING:
    from collections.abc import Sequence

    from loopml.store import Store

MEDIA_TYPE = "application/vnd.loopml.reference+npz"


class ReferenceNotFound(NotFound):
    """No stored reference summary with the given digest."""


def load_data(store: Store, reference: Any) -> tuple[Any, str, Node | None]:
    """Return the reference as data, where it came from, and its lineage node (if any).

    Accepts a DataFrame/Arrow table/mapping, a parquet/CSV path,
    ``"runs:/<run_id>/<artifact path>"`` (a table logged with ``run.log_table``), a dataset
    version (``DatasetVersion`` or ``"datasets:/<name>[@<version>]"``, latest by default).
    """
    if isinstance(reference, str) and reference.startswith("datasets:/"):
        reference = Datasets(store).get_version(reference[len("datasets:/") :])
    if isinstance(reference, DatasetVersion):
        node = Node("dataset_version", reference.node_id)
        return Datasets(store).load_dataset(reference), f"datasets:/{reference.ref}", node
    if isinstance(reference, str) and reference.startswith("runs:/"):
        run_id, _, path = reference[len("runs:/") :].partition("/")
        if not run_id or not path:
            raise InvalidInput(
                f"write a run reference as 'runs:/<run_id>/<artifact path>', not {reference!r}"
            )
        info = reads.artifact(store.db, run_id, path)
        data = decode(store.blobs.get_bytes(info.digest), info.media_type)
        if type(data).__name__ != "DataFrame":
            raise InvalidInput(
                f"artifact {path!r} of run {run_id} is not a table ({info.media_type})"
            )
        return data, reference, Node("run", run_id)
    if isinstance(reference, str):
        return reference, f"file:{reference}", None
    return reference, f"{type(reference).__name__} in memory", None


def save_reference(
    store: Store,
    reference: Any,
    *,
    columns: Sequence[str] | None = None,
    categorical: Sequence[str] = (),
) -> tuple[str, ReferenceSummary, Node | None]:
    """Summarise ``reference`` (unless already a summary or digest) and store it.

    Returns:
        ``(digest, summary, lineage node of the source or None)``.
    """
    if isinstance(reference, str) and reference.startswith("sha256:"):
        digest = reference[len("sha256:") :]
        summary = load_summary(store, digest)
        return digest, summary if columns is None else summary.select(columns), None
    node = None
    if isinstance(reference, ReferenceSummary):
        summary, source = reference, "ReferenceSummary"
        if columns is not None:
            summary = summary.select(columns)
    else:
        data, source, node = load_data(store, reference)
        summary = ReferenceSummary.fit(data, columns=columns, categorical=categorical)
    ref = store.blobs.put_bytes(summary.to_bytes(), MEDIA_TYPE)
    row = {
        "digest": ref.digest,
        "rows": summary.rows,
        "columns": [{"name": c.name, "kind": c.kind} for c in summary.columns],
        "source": source,
        "created_at": now_ms(),
    }
    with store.db.write() as conn:
        store.record_blob(conn, ref)
        conn.execute(store.db.upsert(t.monitor_references, ["digest"], []), row)
    return ref.digest, summary, node


def load_summary(store: Store, digest: str) -> ReferenceSummary:
    """Return the stored summary ``digest`` (cached per process: summaries never change)."""
    with store.db.read() as conn:
        found = conn.execute(
            select(t.monitor_references.c.digest).where(t.monitor_references.c.digest == digest)
        ).first()
    if found is None:
        raise ReferenceNotFound(f"no stored reference summary {digest!r}; save the monitor again")
    return _cached(store.blobs, digest)


@functools.lru_cache(maxsize=64)
def _cached(blobs: Any, digest: str) -> ReferenceSummary:
    return ReferenceSummary.from_bytes(blobs.get_bytes(digest))

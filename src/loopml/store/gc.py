"""Garbage collection of blobs: mark what the metadata graph references, sweep the rest.

Mark: every 64-hex digest in any text or JSON column of any metadata table is a
reference (runs' artifacts and environments, model versions, dataset versions, feature
snapshots, pipeline step outputs and cache entries, monitor references...), and so is
every digest inside a referenced JSON blob (a model package's manifest pins its files).
Sweep: a stored blob that nothing references and that is older than the grace period is
deleted. Safe against concurrent writers:

* a blob younger than ``grace`` is never deleted, so a writer has that long between
  storing bytes and recording the row that references them;
* the mark runs twice, before and after the candidates are listed, so a reference
  recorded meanwhile keeps its blob;
* a database lease (``gc``) lets only one collector run at a time.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import JSON, String, Text, delete, select

from loopml._utils.clock import now_ms
from loopml.errors import Conflict
from loopml.store import leases
from loopml.store.tables import core, metadata

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from loopml.store import Store

logger = logging.getLogger(__name__)

_HEX = re.compile(r"(?<![0-9a-f])[0-9a-f]{64}(?![0-9a-f])")
_PREFIX = "blobs/sha256/"
_MANIFEST_LIMIT = 4 << 20  # JSON blobs larger than this are data, not manifests
LEASE = "gc"


@dataclass(slots=True)
class GcReport:
    """What a collection found and freed.

    Attributes:
        scanned: blobs stored in the artifact store.
        referenced: blobs the metadata references.
        young: unreferenced blobs kept because they are younger than the grace period.
        deleted: digests removed (or that would be, with ``dry_run``).
        freed_bytes: their total size.
        dry_run: whether anything was actually deleted.
        seconds: wall time.
    """

    scanned: int = 0
    referenced: int = 0
    young: int = 0
    deleted: list[str] = field(default_factory=list)
    freed_bytes: int = 0
    dry_run: bool = False
    seconds: float = 0.0


def referenced_digests(store: Store) -> set[str]:
    """Return every blob digest the metadata references, manifests followed."""
    found: set[str] = set()
    with store.db.read() as conn:
        for table in metadata.sorted_tables:
            if table is core.blobs:
                continue
            columns = [c for c in table.columns if _may_hold_digest(c.type)]
            if not columns:
                continue
            result = conn.execution_options(yield_per=5000).execute(select(*columns))
            for row in result:
                for value in row:
                    if value is not None:
                        found.update(_digests(value))
        json_blobs = {
            row.digest
            for row in conn.execute(
                select(core.blobs.c.digest).where(
                    core.blobs.c.media_type.like("%json%") & (core.blobs.c.size <= _MANIFEST_LIMIT)
                )
            )
        }
    return _follow_manifests(store, found, json_blobs)


def _may_hold_digest(kind: Any) -> bool:
    if isinstance(kind, Text | JSON):
        return True
    return isinstance(kind, String) and (kind.length is None or kind.length >= 64)


def _digests(value: Any) -> set[str]:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) < 64:
        return set()
    return set(_HEX.findall(text))


def _follow_manifests(store: Store, found: set[str], json_blobs: set[str]) -> set[str]:
    pending = list(found & json_blobs)
    seen: set[str] = set()
    while pending:
        digest = pending.pop()
        if digest in seen:
            continue
        seen.add(digest)
        try:
            inner = _digests(store.blobs.get_bytes(digest).decode("utf-8", "replace"))
        except Exception:  # a missing or corrupt manifest keeps what we already found
            logger.warning("could not read JSON blob %s while marking", digest, exc_info=True)
            continue
        new = inner - found
        found |= new
        pending.extend(new & json_blobs)
    return found


def stored_digests(store: Store) -> Iterator[str]:
    """Yield the digest of every blob in the artifact store (streamed listing)."""
    for key in store.blobs.backend.list(_PREFIX):
        rest = key[len(_PREFIX) :].replace("/", "")
        if len(rest) == 64 and _HEX.fullmatch(rest):
            yield rest


def collect_garbage(
    store: Store,
    *,
    grace: dt.timedelta = dt.timedelta(hours=24),
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> GcReport:
    """Delete blobs nothing references that are older than ``grace``.

    Args:
        store: the store to collect.
        grace: blobs younger than this are kept (writers store bytes before the row).
        dry_run: report what would be deleted, delete nothing.
        progress: called with ``(done, total)`` while candidates are examined.

    Raises:
        Conflict: another collection holds the ``gc`` lease.
    """
    started = now_ms()
    holder = f"gc-{uuid.uuid4().hex[:12]}"
    if not leases.acquire(store.db, LEASE, holder, ttl_s=3600):
        raise Conflict(
            "another `loopml gc` is running on this store (lease 'gc' is held); "
            "wait for it to finish, or let its lease expire (1 h) if it died"
        )
    try:
        report = _collect(store, grace, dry_run, progress)
    finally:
        leases.release(store.db, LEASE, holder)
    report.seconds = (now_ms() - started) / 1000
    return report


def _collect(
    store: Store,
    grace: dt.timedelta,
    dry_run: bool,
    progress: Callable[[int, int], None] | None,
) -> GcReport:
    report = GcReport(dry_run=dry_run)
    marked = referenced_digests(store)
    stored = list(stored_digests(store))
    report.scanned = len(stored)
    report.referenced = sum(1 for d in stored if d in marked)
    unmarked = [d for d in stored if d not in marked]
    marked |= referenced_digests(store)  # references recorded while we listed
    cutoff = now_ms() - int(grace.total_seconds() * 1000)
    for done, digest in enumerate(unmarked, 1):
        if progress is not None:
            progress(done, len(unmarked))
        if digest in marked:
            continue
        modified, size = blob_stat(store, digest)
        if modified is None or modified > cutoff:
            report.young += 1
            continue
        report.deleted.append(digest)
        report.freed_bytes += size
        if not dry_run:
            _delete(store, digest)
    logger.info(
        "gc %s %d of %d blobs (%d bytes)",
        "would delete" if dry_run else "deleted",
        len(report.deleted),
        report.scanned,
        report.freed_bytes,
    )
    return report


def blob_stat(store: Store, digest: str) -> tuple[int | None, int]:
    """Return ``(modified epoch ms or None if unknown, size)`` of a stored blob."""
    backend: Any = store.blobs.backend
    key = store.blobs.key(digest)
    local = backend.local_path(key)
    if local is not None:
        stat = local.stat()
        return int(stat.st_mtime * 1000), stat.st_size
    fs = getattr(backend, "fs", None)
    if fs is None:
        return None, 0
    info = fs.info(backend._path(key))
    moment = info.get("LastModified") or info.get("mtime") or info.get("created")
    if isinstance(moment, dt.datetime):
        stamp: int | None = int(moment.timestamp() * 1000)
    elif isinstance(moment, int | float):
        stamp = int(moment * 1000)
    else:
        stamp = None
    return stamp, int(info.get("size") or 0)


def _delete(store: Store, digest: str) -> None:
    with store.db.write() as conn:
        conn.execute(delete(core.blobs).where(core.blobs.c.digest == digest))
    store.blobs.delete(digest)

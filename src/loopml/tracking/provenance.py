"""Record what capture found on a run: requirement and environment artifacts, the git
diff, and the run's git and environment columns.

The blobs of one capture are stored once per process and store: a loop of short runs
with an unchanged environment and tree records the same digests on every run without
hashing or writing them again.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import bindparam, update

from loopml.store.tables import tracking as t
from loopml.tracking import artifacts as codec, validation as v

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.store import BlobRef, Store
    from loopml.tracking.capture import Capture

SKIPPED_TAG = "loopml.git.skipped_untracked"
#: runs columns that a capture fills (``None`` when nothing was captured)
COLUMNS = (
    "git_commit",
    "git_branch",
    "git_dirty",
    "git_diff_digest",
    "env_digest",
    "python_version",
    "platform",
)
EMPTY: dict[str, object] = dict.fromkeys(COLUMNS)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Rows that record one capture on a run."""

    artifacts: tuple[tuple[str, BlobRef], ...]
    columns: dict[str, object]
    tags: dict[str, str]


def provenance(store: Store, captured: Capture) -> Provenance:
    """Store the capture's blobs (once per store and capture) and return the rows to write."""
    git, env = captured.git, captured.environment
    requirements, environment = _refs(store, env, lambda: _env_blobs(store, captured))
    artifacts = [
        ("_loopml/requirements.txt", requirements),
        ("_loopml/environment.json", environment),
    ]
    diff_digest = None
    if git.diff:
        (diff,) = _refs(store, git, lambda: (store.blobs.put_bytes(git.diff, "text/x-diff"),))
        artifacts.append(("_loopml/git.diff", diff))
        diff_digest = diff.digest
    columns: dict[str, object] = {
        "git_commit": git.commit,
        "git_branch": git.branch,
        "git_dirty": git.dirty,
        "git_diff_digest": diff_digest,
        "env_digest": requirements.digest,
        "python_version": env.python_version,
        "platform": env.platform[:256],
    }
    tags = {}
    if git.skipped_untracked:
        tags[SKIPPED_TAG] = v.tag_value("x", ", ".join(git.skipped_untracked))[:8000]
    return Provenance(tuple(artifacts), columns, tags)


def write(
    conn: Connection, store: Store, run_id: str, found: Provenance, now: int, *, columns: bool
) -> None:
    """Write the artifact rows and tags of ``found`` (and, if ``columns``, the run columns)."""
    store.record_blobs(conn, [ref for _, ref in found.artifacts])
    conn.execute(
        store.db.upsert(t.run_artifacts, ["run_id", "path"], ["digest", "size", "media_type"]),
        [
            {
                "run_id": run_id,
                "path": path,
                "digest": ref.digest,
                "size": ref.size,
                "media_type": ref.media_type,
                "created_at": now,
            }
            for path, ref in found.artifacts
        ],
    )
    if columns:
        conn.execute(_UPDATE_COLUMNS, {"run": run_id, **found.columns})
    if found.tags:
        conn.execute(
            store.db.upsert(t.tags, ["run_id", "key"], ["value"]),
            [{"run_id": run_id, "key": k, "value": value} for k, value in found.tags.items()],
        )


_UPDATE_COLUMNS = (
    update(t.runs)
    .where(t.runs.c.id == bindparam("run"))
    .values({name: bindparam(name) for name in COLUMNS})
)

# (id of the blob store, id of the captured part) -> (both objects, kept alive, and refs)
_CACHE: dict[tuple[int, int], tuple[object, object, tuple[BlobRef, ...]]] = {}
_CACHE_LOCK = threading.Lock()


def _refs(store: Store, part: object, put: Any) -> tuple[BlobRef, ...]:
    key = (id(store.blobs), id(part))
    with _CACHE_LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[0] is store.blobs and hit[1] is part:
        return hit[2]
    refs: tuple[BlobRef, ...] = put()
    with _CACHE_LOCK:
        if len(_CACHE) > 16:
            _CACHE.clear()
        _CACHE[key] = (store.blobs, part, refs)
    return refs


def _env_blobs(store: Store, captured: Capture) -> tuple[BlobRef, BlobRef]:
    env = captured.environment
    return (
        store.blobs.put_bytes(env.requirements(), codec.TEXT),
        store.blobs.put_bytes(env.describe(), codec.JSON),
    )

"""Writes to a run named by id, without a live :class:`~loopml.tracking.run.Run` handle.

The platform server (its REST API and its MLflow-compatible API) records what remote
clients send through these functions: each call validates everything first and then
writes in one transaction, with the same rules as a local run (params never change,
keys and values within the limits of :mod:`loopml.tracking.validation`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from loopml._utils.clock import now_ms
from loopml._utils.ids import new_id
from loopml.errors import Conflict, InvalidInput, ParamConflict, RunNotActive
from loopml.store.tables import tracking as t
from loopml.tracking import experiments as ex, provenance, reads, validation as v
from loopml.tracking.buffer import Point, write_points

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from sqlalchemy import Connection

    from loopml.store import BlobRef, Store
    from loopml.tracking.capture import Capture
    from loopml.tracking.entities import ArtifactInfo, RunInfo

ENDED = ("FINISHED", "FAILED", "KILLED")


@dataclass(frozen=True, slots=True)
class NewRun:
    """What a remote client asks for when it starts a run."""

    experiment: str | int | None = None
    name: str | None = None
    user: str = "unknown"
    parent_id: str | None = None
    pipeline_run_id: str | None = None
    step_name: str | None = None
    source: str | None = None
    start_time: int | None = None
    seed: int | None = None


def create_run(store: Store, new: NewRun, default_experiment: str = "default") -> str:
    """Insert a RUNNING run and return its id (the experiment is created if missing)."""
    db = store.db
    if isinstance(new.experiment, int):
        experiment = ex.get_experiment(db, new.experiment)
    elif new.experiment is None and new.parent_id is not None:
        with db.read() as conn:
            parent = reads.require_run(conn, db, new.parent_id)
        experiment = ex.get_experiment(db, int(parent.experiment_id))
    else:
        experiment = ex.get_or_create_experiment(db, new.experiment or default_experiment)
    run_id = new_id()
    name = v.check_name("run", new.name) if new.name else f"run-{run_id[:8]}"
    with db.write() as conn:
        if new.parent_id is not None:
            reads.require_run(conn, db, new.parent_id)
        conn.execute(
            t.runs.insert().values(
                id=run_id,
                experiment_id=experiment.id,
                name=name,
                status="RUNNING",
                start_time=new.start_time or now_ms(),
                user_name=(new.user or "unknown")[:256],
                parent_id=new.parent_id,
                pipeline_run_id=new.pipeline_run_id,
                step_name=new.step_name,
                source=(new.source or "<remote>")[:1024],
                seed=new.seed,
            )
        )
    return run_id


def log_batch(
    store: Store,
    run_id: str,
    points: Sequence[Point] = (),
    params: Mapping[str, object] | None = None,
    tags: Mapping[str, object] | None = None,
    *,
    require_running: bool = True,
) -> None:
    """Write metric points, params and tags of one run in one transaction.

    Raises:
        RunNotFound: no such run.
        RunNotActive: ``require_running`` and the run has ended.
        ParamConflict: a param was already logged with another value.
        InvalidInput: a key or value breaks the limits.
    """
    checked = [_point(p) for p in points]
    new_params = {
        v.check_key("param", k): v.param_value(k, val) for k, val in (params or {}).items()
    }
    tag_rows = [
        {"run_id": run_id, "key": v.check_key("tag", k), "value": v.tag_value(k, val)}
        for k, val in (tags or {}).items()
    ]
    db = store.db
    with db.write() as conn:
        _require_writable(conn, store, run_id, require_running)
        if new_params:
            _write_params(conn, store, run_id, new_params)
        if tag_rows:
            conn.execute(db.upsert(t.tags, ["run_id", "key"], ["value"]), tag_rows)
        if checked:
            write_points(conn, db, run_id, checked)


def delete_tag(store: Store, run_id: str, key: str) -> None:
    """Remove a tag from a run (a missing tag is not an error)."""
    with store.db.write() as conn:
        reads.require_run(conn, store.db, run_id)
        conn.execute(t.tags.delete().where(t.tags.c.run_id == run_id, t.tags.c.key == key))


def update_run(
    store: Store,
    run_id: str,
    *,
    status: str | None = None,
    end_time: int | None = None,
    name: str | None = None,
    error: str | None = None,
) -> None:
    """Change a run's status (ending or resuming it) and/or its name."""
    values: dict[str, object] = {}
    if status is not None:
        if status not in ("RUNNING", *ENDED):
            raise InvalidInput(
                f"run status must be RUNNING, FINISHED, FAILED or KILLED, not {status!r}"
            )
        values["status"] = status
        if status == "RUNNING":
            values.update(end_time=None, error=None)
        else:
            values.update(end_time=end_time or now_ms(), error=error)
    if name is not None:
        values["name"] = v.check_name("run", name)
    with store.db.write() as conn:
        reads.require_run(conn, store.db, run_id)
        if values:
            conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(**values))


def resume_state(store: Store, run_id: str) -> tuple[dict[str, str], dict[str, int]]:
    """Return a run's params and, per metric key, the next step (for a resumed run)."""
    with store.db.read() as conn:
        reads.require_run(conn, store.db, run_id)
        params = dict(
            conn.execute(
                select(t.params.c.key, t.params.c.value).where(t.params.c.run_id == run_id)
            ).all()
        )
        latest = t.latest_metrics
        steps = {
            key: step + 1
            for key, step in conn.execute(
                select(latest.c.key, latest.c.step).where(latest.c.run_id == run_id)
            ).all()
        }
    return {str(k): str(val) for k, val in params.items()}, steps


def record_artifacts(
    store: Store, run_id: str, entries: Sequence[tuple[str, BlobRef]], *, require_running: bool
) -> list[ArtifactInfo]:
    """Record blobs already in the blob store as artifacts of a run (paths are immutable)."""
    checked = [(artifact_path(path), ref) for path, ref in entries]
    now = now_ms()
    rows = [
        {
            "run_id": run_id,
            "path": path,
            "digest": ref.digest,
            "size": ref.size,
            "media_type": ref.media_type,
            "created_at": now,
        }
        for path, ref in checked
    ]
    db = store.db
    with db.write() as conn:
        _require_writable(conn, store, run_id, require_running)
        _refuse_overwrite(conn, run_id, {path: ref.digest for path, ref in checked})
        for _, ref in checked:
            store.record_blob(conn, ref)
        conn.execute(db.upsert(t.run_artifacts, ["run_id", "path"], []), rows)
    return [reads.artifact(db, run_id, path) for path, _ in checked]


def artifact_path(name: str) -> str:
    """Return the normalised artifact path, refusing absolute or ``..`` paths."""
    path = name.replace("\\", "/").strip("/")
    if not path or ".." in path.split("/") or len(path) > 1024:
        raise InvalidInput(
            f"artifact name {name!r} must be a relative path of at most 1024 characters "
            "without '..'"
        )
    return path


def record_capture(store: Store, run_id: str, captured: Capture) -> None:
    """Record git state and environment captured elsewhere (a remote client) on a run."""
    found = provenance.provenance(store, captured)
    with store.db.write() as conn:
        reads.require_run(conn, store.db, run_id)
        provenance.write(conn, store, run_id, found, now_ms(), columns=True)


def get_run(store: Store, run_id: str) -> RunInfo:
    """Return the run as stored."""
    return reads.get_run(store.db, run_id)


def _point(point: Sequence[object]) -> Point:
    key = v.check_key("metric", point[0])
    value = v.metric_value(key, point[1])
    step, stamp = point[2], point[3]
    if isinstance(step, bool) or not isinstance(step, int):
        raise InvalidInput(f"step of metric {key!r} must be an integer, got {step!r}")
    if isinstance(stamp, bool) or not isinstance(stamp, int):
        raise InvalidInput(f"timestamp of metric {key!r} must be epoch milliseconds, got {stamp!r}")
    if not (-(2**63) <= step < 2**63 and 0 <= stamp < 2**63):
        raise InvalidInput(f"step or timestamp of metric {key!r} is out of range")
    return (key, value, step, stamp)


def _require_writable(conn: Connection, store: Store, run_id: str, require_running: bool) -> None:
    row = reads.require_run(conn, store.db, run_id)
    if row.deleted_at is not None:
        raise RunNotActive(f"run {run_id} is deleted; restore it before logging to it")
    if require_running and row.status != "RUNNING":
        raise RunNotActive(
            f"run {run_id} has ended with status {row.status}; resume it with "
            f"lm.start_run(run_id={run_id!r}) to log more"
        )


def _write_params(conn: Connection, store: Store, run_id: str, new: Mapping[str, str]) -> None:
    stored = dict(
        conn.execute(
            select(t.params.c.key, t.params.c.value).where(
                t.params.c.run_id == run_id, t.params.c.key.in_(list(new))
            )
        ).all()
    )
    for key, value in new.items():
        old = stored.get(key)
        if old is not None and old != value:
            raise ParamConflict(
                f"param {key!r} of run {run_id} is already {old!r}; it cannot change to "
                f"{value!r}. Params are fixed inputs: use a new run, or log a changing value "
                "as a metric or tag."
            )
    rows = [
        {"run_id": run_id, "key": k, "value": val, "value_num": v.numeric_or_none(val)}
        for k, val in new.items()
        if k not in stored
    ]
    if rows:
        conn.execute(store.db.upsert(t.params, ["run_id", "key"], []), rows)


def _refuse_overwrite(conn: Connection, run_id: str, wanted: Mapping[str, str]) -> None:
    a = t.run_artifacts
    existing = conn.execute(
        select(a.c.path, a.c.digest).where(a.c.run_id == run_id, a.c.path.in_(list(wanted)))
    ).all()
    for path, digest in existing:
        if digest != wanted[path]:
            raise Conflict(
                f"run {run_id} already has a different artifact at {path!r}; artifacts are "
                "immutable, so log the new content under another name"
            )

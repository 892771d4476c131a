"""Reads and writes of pipeline metadata (pipelines, pipeline runs, step runs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update

from loopml._utils.clock import now_ms
from loopml.pipelines.entities import PipelineInfo, PipelineRunInfo, StepRunInfo
from loopml.pipelines.errors import PipelineNotFound, PipelineRunNotFound
from loopml.store.tables import pipelines as t

if TYPE_CHECKING:
    from sqlalchemy import Connection, Row

    from loopml.store.db import Database


# ---------------------------------------------------------------------------- pipelines
def upsert_pipeline(db: Database, conn: Connection, values: dict[str, Any]) -> None:
    """Register a pipeline or update its target, schedule, params and graph."""
    now = now_ms()
    row = {"created_at": now, "updated_at": now, **values}
    update_cols = [k for k in values if k != "name"] + ["updated_at"]
    conn.execute(db.upsert(t.pipelines, ["name"], update_cols), row)


def get_pipeline(db: Database, name: str) -> PipelineInfo:
    """Return the registered pipeline ``name``.

    Raises:
        PipelineNotFound: it was never registered or run; the message lists known ones.
    """
    with db.read() as conn:
        row = conn.execute(select(t.pipelines).where(t.pipelines.c.name == name)).first()
        if row is None:
            known = conn.execute(select(t.pipelines.c.name).order_by(t.pipelines.c.name)).scalars()
            names = list(known)[:20]
    if row is None:
        raise PipelineNotFound(
            f"no pipeline {name!r} in {db.safe_url}; known pipelines: {names or 'none'}. "
            "A pipeline is registered when it first runs, or with "
            "`loopml pipelines register module:pipeline`."
        )
    return pipeline_info(row)


def list_pipelines(db: Database) -> list[PipelineInfo]:
    """Return every registered pipeline, by name."""
    with db.read() as conn:
        rows = conn.execute(select(t.pipelines).order_by(t.pipelines.c.name)).all()
    return [pipeline_info(r) for r in rows]


def pipeline_info(row: Row[Any]) -> PipelineInfo:
    """Build a :class:`PipelineInfo` from a row."""
    return PipelineInfo(
        row.name,
        row.target,
        row.description,
        row.schedule,
        row.timezone,
        bool(row.schedule_enabled),
        dict(row.params or {}),
        row.created_at,
        row.updated_at,
        row.graph,
    )


# ---------------------------------------------------------------------------- runs
def resolve_run_id(db: Database, prefix: str) -> str:
    """Return the full id of the pipeline run whose id starts with ``prefix``.

    Raises:
        PipelineRunNotFound: no run, or several, match.
    """
    prefix = prefix.strip().lower()
    runs = t.pipeline_runs
    with db.read() as conn:
        found = list(
            conn.execute(select(runs.c.id).where(runs.c.id.startswith(prefix)).limit(2)).scalars()
        )
    if len(found) == 1 and len(prefix) >= 4:
        return str(found[0])
    if not found or len(prefix) < 4:
        raise PipelineRunNotFound(
            f"no pipeline run {prefix!r} in {db.safe_url}; list runs with `loopml pipelines runs` "
            "and pass an id (at least 4 characters of it)"
        )
    raise PipelineRunNotFound(f"pipeline run id prefix {prefix!r} is ambiguous; give more of it")


def get_run(db: Database, run_id: str) -> PipelineRunInfo:
    """Return a pipeline run with its step runs.

    Raises:
        PipelineRunNotFound: no such run.
    """
    full = resolve_run_id(db, run_id)
    with db.read() as conn:
        row = conn.execute(select(t.pipeline_runs).where(t.pipeline_runs.c.id == full)).one()
        steps = conn.execute(
            select(t.step_runs)
            .where(t.step_runs.c.pipeline_run_id == full)
            .order_by(t.step_runs.c.position)
        ).all()
    return run_info(row, tuple(step_info(s) for s in steps))


def list_runs(
    db: Database, pipeline: str | None = None, status: str | None = None, limit: int = 50
) -> list[PipelineRunInfo]:
    """Return pipeline runs, newest first (without their steps)."""
    runs = t.pipeline_runs
    query = select(runs).order_by(runs.c.created_at.desc(), runs.c.id).limit(limit)
    if pipeline is not None:
        query = query.where(runs.c.pipeline == pipeline)
    if status is not None:
        query = query.where(runs.c.status == status.upper())
    with db.read() as conn:
        rows = conn.execute(query).all()
    return [run_info(r, ()) for r in rows]


def request_cancel(db: Database, run_id: str, *, force: bool = False) -> PipelineRunInfo:
    """Ask a run to stop (queued runs are cancelled at once); return its record.

    With ``force`` a run whose driver is gone (killed, machine lost) is marked CANCELLED
    now, with its unfinished steps, so that it can be resumed.
    """
    full = resolve_run_id(db, run_id)
    runs, steps = t.pipeline_runs, t.step_runs
    now = now_ms()
    unfinished = ["PENDING", "RUNNING"]
    with db.write() as conn:
        conn.execute(update(runs).where(runs.c.id == full).values(cancel_requested=True))
        conn.execute(
            update(runs)
            .where(runs.c.id == full, runs.c.status == "QUEUED")
            .values(status="CANCELLED", end_time=now, error="cancelled before it started")
        )
        if force:
            reason = "cancelled by force (the driver was gone)"
            conn.execute(
                update(steps)
                .where(steps.c.pipeline_run_id == full, steps.c.status.in_(unfinished))
                .values(status="CANCELLED", end_time=now, error=reason)
            )
            conn.execute(
                update(runs)
                .where(runs.c.id == full, runs.c.status.in_(["RUNNING", "STARTING"]))
                .values(status="CANCELLED", end_time=now, error=reason)
            )
    return get_run(db, full)


def is_cancel_requested(db: Database, run_id: str) -> bool:
    """Whether someone asked run ``run_id`` to stop."""
    runs = t.pipeline_runs
    with db.read() as conn:
        value = conn.execute(select(runs.c.cancel_requested).where(runs.c.id == run_id)).scalar()
    return bool(value)


def find_cached(conn: Connection, keys: list[str]) -> dict[str, Row[Any]]:
    """Return the newest successful step run for each cache key in ``keys``."""
    steps = t.step_runs
    found: dict[str, Row[Any]] = {}
    for chunk in (keys[i : i + 500] for i in range(0, len(keys), 500)):
        rows = conn.execute(
            select(steps)
            .where(steps.c.cache_key.in_(chunk), steps.c.status == "SUCCEEDED")
            .order_by(steps.c.end_time.desc())
        ).all()
        for row in rows:
            found.setdefault(row.cache_key, row)
    return found


def previous_step(db: Database, pipeline: str, name: str, before: int) -> StepRunInfo | None:
    """Return the latest successful run of step ``name`` of ``pipeline`` before ``before``."""
    runs, steps = t.pipeline_runs, t.step_runs
    query = (
        select(steps)
        .join(runs, runs.c.id == steps.c.pipeline_run_id)
        .where(
            runs.c.pipeline == pipeline,
            steps.c.name == name,
            steps.c.status.in_(["SUCCEEDED", "CACHED"]),
            runs.c.created_at < before,
        )
        .order_by(runs.c.created_at.desc())
        .limit(1)
    )
    with db.read() as conn:
        row = conn.execute(query).first()
    return None if row is None else step_info(row)


def get_step(db: Database, step_run_id: str) -> StepRunInfo | None:
    """Return a step run by id."""
    with db.read() as conn:
        row = conn.execute(select(t.step_runs).where(t.step_runs.c.id == step_run_id)).first()
    return None if row is None else step_info(row)


def run_info(row: Row[Any], steps: tuple[StepRunInfo, ...]) -> PipelineRunInfo:
    """Build a :class:`PipelineRunInfo` from a row."""
    return PipelineRunInfo(
        row.id,
        row.pipeline,
        row.status,
        dict(row.params or {}),
        row.executor,
        bool(row.cache),
        row.trigger,
        row.trigger_info,
        row.resumed_from,
        row.target,
        row.graph,
        row.outputs,
        row.run_id,
        row.created_at,
        row.start_time,
        row.end_time,
        bool(row.cancel_requested),
        row.error,
        steps,
    )


def step_info(row: Row[Any]) -> StepRunInfo:
    """Build a :class:`StepRunInfo` from a row."""
    return StepRunInfo(
        row.id,
        row.pipeline_run_id,
        row.name,
        row.step,
        row.function,
        row.status,
        row.position,
        list(row.upstream or []),
        row.attempt,
        list(row.attempts or []),
        row.cache_key,
        row.cache_parts,
        row.cache_note,
        row.cached_from,
        row.run_id,
        dict(row.inputs or {}),
        list(row.outputs or []),
        row.logs_digest,
        row.start_time,
        row.end_time,
        row.error,
    )

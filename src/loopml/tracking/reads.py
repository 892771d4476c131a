"""Read runs back: one run, searches, metric histories, artifacts; and delete/restore."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Double,
    Text,
    bindparam,
    cast,
    delete,
    func,
    intersect,
    literal,
    null,
    select,
    union_all,
    update,
)

from loopml._utils.clock import now_ms
from loopml.errors import ArtifactNotFound, InvalidInput, RunNotFound
from loopml.store.tables import tracking as t
from loopml.tracking.entities import ArtifactInfo, Metric, RunInfo
from loopml.tracking.packing import unpack

if TYPE_CHECKING:
    from collections.abc import Sequence

    from sqlalchemy import BindParameter, Connection, Select

    from loopml.store.db import Database
    from loopml.tracking import search as s

MAX_PAGE = 50_000
_RUN_FROM = t.runs.join(t.experiments, t.runs.c.experiment_id == t.experiments.c.id)
# In the order of RunInfo's fields, so a row becomes a RunInfo positionally.
_RUN_COLUMNS = (
    t.runs.c.id,
    t.runs.c.experiment_id,
    t.experiments.c.name.label("experiment_name"),
    t.runs.c.name,
    t.runs.c.status,
    t.runs.c.start_time,
    t.runs.c.end_time,
    t.runs.c.user_name,
    t.runs.c.parent_id,
    t.runs.c.pipeline_run_id,
    t.runs.c.step_name,
    t.runs.c.source,
    t.runs.c.git_commit,
    t.runs.c.git_branch,
    t.runs.c.git_dirty,
    t.runs.c.git_diff_digest,
    t.runs.c.env_digest,
    t.runs.c.python_version,
    t.runs.c.platform,
    t.runs.c.seed,
    t.runs.c.error,
    t.runs.c.deleted_at,
)


def get_run(db: Database, run_id: str) -> RunInfo:
    """Return a run with its params, latest metrics and tags.

    Raises:
        RunNotFound: no run has this id.
    """
    with db.read() as conn:
        rows = conn.execute(
            select(*_RUN_COLUMNS).select_from(_RUN_FROM).where(t.runs.c.id == run_id)
        ).all()
        if not rows:
            raise _not_found(db, run_id)
        return attach(conn, rows)[0]


def require_run(conn: Connection, db: Database, run_id: str) -> Any:
    """Return the raw ``runs`` row of ``run_id`` or raise :class:`RunNotFound`."""
    row = conn.execute(select(t.runs).where(t.runs.c.id == run_id)).first()
    if row is None:
        raise _not_found(db, run_id)
    return row


def search(
    db: Database,
    experiment_ids: Sequence[int] | None,
    node: s.Node | None,
    order: list[s.OrderBy],
    limit: int,
    offset: int,
    *,
    include_deleted: bool = False,
) -> tuple[list[RunInfo], bool]:
    """Run a compiled search; return one page of runs and whether more pages follow."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_PAGE:
        raise InvalidInput(f"limit must be between 1 and {MAX_PAGE}, got {limit}")
    query = _search_query(
        node,
        tuple(order),
        None if experiment_ids is None else tuple(experiment_ids),
        limit,
        offset,
        include_deleted,
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
        has_more = len(rows) > limit
        return attach(conn, rows[:limit]), has_more


_QUERIES: dict[tuple[object, ...], Select[Any]] = {}
_QUERIES_MAX = 256


def _search_query(
    node: s.Node | None,
    order: tuple[s.OrderBy, ...],
    experiment_ids: tuple[int, ...] | None,
    limit: int,
    offset: int,
    include_deleted: bool,
) -> Select[Any]:
    # A repeated search reuses its statement: building SQLAlchemy expressions costs more
    # than running the query on SQLite. The key is the printed filter, which (unlike the
    # tree's equality) tells 1 from 1.0 and true.
    key = (str(node), tuple(str(o) for o in order), experiment_ids, limit, offset, include_deleted)
    cached = _QUERIES.get(key)
    if cached is not None:
        return cached
    # The filter compiler (and the parser under it) is imported by the first search only.
    from loopml.tracking.query import compile_filter, order_columns, split_drivers

    drivers, rest = split_drivers(node)
    source: Any = _RUN_FROM
    if drivers:
        hits = (drivers[0] if len(drivers) == 1 else intersect(*drivers)).subquery("hits")
        source = hits.join(t.runs, t.runs.c.id == hits.c.run_id).join(
            t.experiments, t.runs.c.experiment_id == t.experiments.c.id
        )
    query: Select[Any] = select(*_RUN_COLUMNS).select_from(source).where(compile_filter(rest))
    if experiment_ids is not None:
        query = query.where(t.runs.c.experiment_id.in_(list(experiment_ids)))
    if not include_deleted:
        query = query.where(t.runs.c.deleted_at.is_(None))
    query, clauses = order_columns(list(order), query)
    query = query.order_by(*clauses).limit(limit + 1).offset(offset)
    if len(_QUERIES) >= _QUERIES_MAX:
        _QUERIES.clear()
    _QUERIES[key] = query
    return query


_IDS: BindParameter[list[str]] = bindparam("ids", expanding=True)


def _details_of(ids: Any) -> Select[Any]:
    """Params, tags and latest metrics of some runs in one round trip (kind 0, 1, 2)."""
    text_null, number_null = cast(null(), Text), cast(null(), Double)
    return union_all(
        select(literal(0), t.params.c.run_id, t.params.c.key, t.params.c.value, number_null).where(
            t.params.c.run_id.in_(ids)
        ),
        select(literal(1), t.tags.c.run_id, t.tags.c.key, t.tags.c.value, number_null).where(
            t.tags.c.run_id.in_(ids)
        ),
        select(
            literal(2),
            t.latest_metrics.c.run_id,
            t.latest_metrics.c.key,
            text_null,
            t.latest_metrics.c.value,
        ).where(t.latest_metrics.c.run_id.in_(ids)),
    )  # type: ignore[return-value]


_DETAILS_OF = _details_of(_IDS)


def attach(conn: Connection, rows: Sequence[Any]) -> list[RunInfo]:
    """Build :class:`RunInfo` objects for ``rows``, reading their params, metrics and tags."""
    if not rows:
        return []
    details: dict[str, tuple[dict[str, str], dict[str, float], dict[str, str]]] = {
        row[0]: ({}, {}, {}) for row in rows
    }
    nan = float("nan")
    for kind, run_id, key, text, number in _details(conn, list(details)):
        if kind == 2:
            details[run_id][1][key] = nan if number is None else number
        else:
            details[run_id][0 if kind == 0 else 2][key] = text
    return [RunInfo(*row, *details[row[0]]) for row in rows]  # type: ignore[call-arg]


def _details(conn: Connection, ids: list[str]) -> Sequence[Any]:
    """Rows ``(kind, run_id, key, text, number)`` of :func:`_details_of` for ``ids``.

    On SQLite the same query runs straight on the driver's cursor, in the transaction
    ``conn`` has open, with the ids as one JSON array: one statement text whatever the
    number of ids (SQLite's statement cache keeps it prepared) and no per-row result
    processing (every column here is text or a float, which need none). Elsewhere it runs
    through SQLAlchemy with an expanding ``IN``.
    """
    if conn.dialect.name == "sqlite":
        cursor = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        try:
            return cursor.execute(_SQLITE_DETAILS, (json.dumps(ids),)).fetchall()  # type: ignore[no-any-return]
        finally:
            cursor.close()
    return conn.execute(_DETAILS_OF, {"ids": ids}).all()


def _sqlite_details() -> str:
    ids = "(SELECT value FROM json_each(?1))"
    parts = [
        f'SELECT 0, run_id, "key", value, NULL FROM {t.params.name} WHERE run_id IN {ids}',
        f'SELECT 1, run_id, "key", value, NULL FROM {t.tags.name} WHERE run_id IN {ids}',
        f'SELECT 2, run_id, "key", NULL, value FROM {t.latest_metrics.name} WHERE run_id IN {ids}',
    ]
    return " UNION ALL ".join(parts)


_SQLITE_DETAILS = _sqlite_details()


def metric_history(db: Database, run_id: str, key: str) -> tuple[Any, Any, Any]:
    """Return numpy arrays ``(steps, timestamps, values)`` of ``key``, by step then time."""
    c = t.metric_chunks
    query = (
        select(c.c.steps, c.c.timestamps, c.c["values"])
        .where(c.c.run_id == run_id, c.c.key == key)
        .order_by(c.c.id)
    )
    with db.read() as conn:
        rows = conn.execute(query).all()
        if not rows:
            require_run(conn, db, run_id)
    return unpack([tuple(r) for r in rows])


def metric_points(db: Database, run_id: str, key: str) -> list[Metric]:
    """Return the history of ``key`` as :class:`Metric` objects."""
    steps, stamps, values = metric_history(db, run_id, key)
    return [
        Metric(key, value, step, ts)
        for step, ts, value in zip(steps.tolist(), stamps.tolist(), values.tolist(), strict=True)
    ]


def metric_keys(db: Database, run_id: str) -> list[str]:
    """Return the metric keys a run has logged."""
    latest = t.latest_metrics
    with db.read() as conn:
        return list(
            conn.execute(
                select(latest.c.key).where(latest.c.run_id == run_id).order_by(latest.c.key)
            ).scalars()
        )


def list_artifacts(db: Database, run_id: str, prefix: str = "") -> list[ArtifactInfo]:
    """Return a run's artifacts whose path starts with ``prefix``, sorted by path."""
    a = t.run_artifacts
    query = select(a).where(a.c.run_id == run_id).order_by(a.c.path)
    if prefix:
        query = query.where(a.c.path.startswith(prefix.strip("/"), autoescape=True))
    with db.read() as conn:
        rows = conn.execute(query).all()
        if not rows:
            require_run(conn, db, run_id)
    return [ArtifactInfo(r.path, r.digest, r.size, r.media_type, r.created_at) for r in rows]


def artifact(db: Database, run_id: str, path: str) -> ArtifactInfo:
    """Return one artifact record.

    Raises:
        ArtifactNotFound: the run has no artifact at ``path``.
    """
    a = t.run_artifacts
    with db.read() as conn:
        row = conn.execute(
            select(a).where(a.c.run_id == run_id, a.c.path == path.strip("/"))
        ).first()
        if row is None:
            require_run(conn, db, run_id)
            paths = conn.execute(
                select(a.c.path).where(a.c.run_id == run_id).order_by(a.c.path).limit(20)
            ).scalars()
            raise ArtifactNotFound(
                f"run {run_id} has no artifact {path!r}; it has: {list(paths) or 'none'}"
            )
    return ArtifactInfo(row.path, row.digest, row.size, row.media_type, row.created_at)


def delete_run(db: Database, run_id: str, *, purge: bool = False) -> None:
    """Hide a run from searches (``purge`` removes it and its data for good)."""
    with db.write() as conn:
        require_run(conn, db, run_id)
        if purge:
            for table in (t.metric_chunks, t.latest_metrics, t.params, t.tags, t.run_artifacts):
                conn.execute(delete(table).where(table.c.run_id == run_id))
            conn.execute(update(t.runs).where(t.runs.c.parent_id == run_id).values(parent_id=None))
            conn.execute(delete(t.runs).where(t.runs.c.id == run_id))
            return
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(deleted_at=now_ms()))


def restore_run(db: Database, run_id: str) -> None:
    """Undo a (non-purging) delete."""
    with db.write() as conn:
        require_run(conn, db, run_id)
        conn.execute(update(t.runs).where(t.runs.c.id == run_id).values(deleted_at=None))


def count_runs(db: Database, experiment_id: int | None = None) -> int:
    """Return how many (non-deleted) runs exist, optionally in one experiment."""
    query = select(func.count()).select_from(t.runs).where(t.runs.c.deleted_at.is_(None))
    if experiment_id is not None:
        query = query.where(t.runs.c.experiment_id == experiment_id)
    with db.read() as conn:
        return int(conn.execute(query).scalar_one())


def resolve_run_id(db: Database, prefix: str, *, include_deleted: bool = True) -> str:
    """Return the full id of the one run whose id starts with ``prefix`` (4+ characters).

    Raises:
        RunNotFound: no run matches.
        InvalidInput: the prefix is too short or matches several runs.
    """
    if len(prefix) == 32:
        return prefix
    if len(prefix) < 4:
        raise InvalidInput(f"run id prefix {prefix!r} is too short; give at least 4 characters")
    query = select(t.runs.c.id).where(t.runs.c.id.startswith(prefix, autoescape=True)).limit(2)
    if not include_deleted:
        query = query.where(t.runs.c.deleted_at.is_(None))
    with db.read() as conn:
        found = list(conn.execute(query).scalars())
    if not found:
        raise _not_found(db, prefix)
    if len(found) > 1:
        raise InvalidInput(f"run id prefix {prefix!r} matches several runs; give more characters")
    return str(found[0])


def _not_found(db: Database, run_id: str) -> RunNotFound:
    return RunNotFound(
        f"no run {run_id!r} in {db.safe_url}; list runs with `loopml runs list` or lm.search_runs()"
    )

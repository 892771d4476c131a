"""Facts about nodes, read from the store tables in one or two queries per node type.

Besides the recorded edges, some links live in columns: a run's git commit, stored diff,
environment lock, parent run and pipeline run; a model version's training run; a dataset
version's producing run; a pipeline run's tracking run. :func:`describe` returns each
node's facts and those column links as extra edges.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import and_, func, or_, select

from loopml._utils.digits import is_digits
from loopml.lineage.graph import LineageEdge, LineageNode, key
from loopml.store.tables import (
    data as dt,
    features as ft,
    models as mt,
    pipelines as pt,
    tracking as tt,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from sqlalchemy import Connection

Described = tuple[list[LineageNode], list[LineageEdge]]


def describe(conn: Connection, node_type: str, ids: Iterable[str]) -> Described:
    """Return the nodes of ``ids`` (of one type) with their facts, and their column links."""
    wanted = sorted(set(ids))
    reader = _READERS.get(node_type)
    if reader is None or not wanted:
        return [LineageNode(node_type, i, _label(node_type, i)) for i in wanted], []
    return reader(conn, wanted)


def _label(node_type: str, node_id: str) -> str:
    short = node_id[:12] if len(node_id) >= 32 and "/" not in node_id else node_id
    return f"{node_type.replace('_', ' ')} {short}"


#: The stored lock of a run and the pipeline step it executed, read with the run's row
#: (one round trip for every run fact).
_LOCK = (
    select(tt.run_artifacts.c.digest)
    .where(
        tt.run_artifacts.c.run_id == tt.runs.c.id,
        tt.run_artifacts.c.path == "_loopml/requirements.txt",
    )
    .scalar_subquery()
    .label("lock_digest")
)
_STEP = (  # a step's run carries its pipeline run: the step_runs index finds it
    select(func.max(pt.step_runs.c.id))
    .where(
        pt.step_runs.c.pipeline_run_id == tt.runs.c.pipeline_run_id,
        pt.step_runs.c.run_id == tt.runs.c.id,
    )
    .scalar_subquery()
    .label("step_run_id")
)


def _runs(conn: Connection, ids: list[str]) -> Described:
    rows = conn.execute(
        select(tt.runs, tt.experiments.c.name.label("experiment"), _LOCK, _STEP)
        .join(tt.experiments, tt.experiments.c.id == tt.runs.c.experiment_id)
        .where(tt.runs.c.id.in_(ids))
    ).all()
    lock_paths = {row.id: row.lock_digest for row in rows if row.lock_digest}
    steps = {row.id: row.step_run_id for row in rows if row.step_run_id}
    nodes, edges = [], []
    for row in rows:
        run_key = key("run", row.id)
        nodes.append(
            LineageNode(
                "run",
                row.id,
                f"run {row.name} ({row.status.lower()})",
                {
                    "name": row.name,
                    "experiment": row.experiment,
                    "status": row.status,
                    "start_time": row.start_time,
                    "end_time": row.end_time,
                    "user": row.user_name,
                    "source": row.source,
                    "seed": row.seed,
                    "git_commit": row.git_commit,
                    "git_branch": row.git_branch,
                    "git_dirty": row.git_dirty,
                    "git_diff_digest": row.git_diff_digest,
                    "env_digest": row.env_digest,
                    "python_version": row.python_version,
                    "platform": row.platform,
                },
            )
        )
        if row.git_commit:
            commit = {"commit": row.git_commit, "branch": row.git_branch, "dirty": row.git_dirty}
            nodes.append(
                LineageNode("git_commit", row.git_commit, f"commit {row.git_commit[:10]}", commit)
            )
            edges.append(LineageEdge(run_key, "ran", key("git_commit", row.git_commit)))
        if row.git_diff_digest:
            diff_label = f"uncommitted diff {row.git_diff_digest[:10]}"
            nodes.append(
                LineageNode(
                    "git_diff", row.git_diff_digest, diff_label, {"digest": row.git_diff_digest}
                )
            )
            edges.append(LineageEdge(run_key, "ran", key("git_diff", row.git_diff_digest)))
        lock = lock_paths.get(row.id) or row.env_digest
        if lock:
            env = {
                "lock_digest": lock,
                "python_version": row.python_version,
                "platform": row.platform,
            }
            nodes.append(
                LineageNode(
                    "environment",
                    lock,
                    f"environment {lock[:10]} (Python {row.python_version})",
                    env,
                )
            )
            edges.append(LineageEdge(run_key, "ran", key("environment", lock)))
        if row.parent_id:
            edges.append(LineageEdge(run_key, "part_of", key("run", row.parent_id)))
        if row.id in steps:
            edges.append(LineageEdge(run_key, "part_of", key("step_run", steps[row.id])))
        elif row.pipeline_run_id:
            edges.append(LineageEdge(run_key, "part_of", key("pipeline_run", row.pipeline_run_id)))
    return nodes, edges


def _model_versions(conn: Connection, ids: list[str]) -> Described:
    pairs = [_split_version(i) for i in ids]
    valid = [(n, v) for n, v in pairs if v is not None]
    if not valid:
        return [], []
    rows = conn.execute(
        select(mt.model_versions).where(
            or_(
                *(
                    and_(mt.model_versions.c.name == n, mt.model_versions.c.version == v)
                    for n, v in valid
                )
            )
        )
    ).all()
    aliases: dict[tuple[str, int], list[str]] = {}
    for alias_row in conn.execute(
        select(mt.model_aliases).where(mt.model_aliases.c.name.in_({n for n, _ in valid}))
    ).all():
        aliases.setdefault((alias_row.name, alias_row.version), []).append(alias_row.alias)
    nodes, edges = [], []
    for row in rows:
        node_id = f"{row.name}/{row.version}"
        tags = sorted(aliases.get((row.name, row.version), []))
        label = f"model {row.name} v{row.version}" + (f" @{', @'.join(tags)}" if tags else "")
        facts = {
            "name": row.name,
            "version": row.version,
            "digest": row.digest,
            "flavor": row.flavor,
            "run_id": row.run_id,
            "aliases": tags,
            "metrics": row.metrics,
            "created_at": row.created_at,
        }
        nodes.append(LineageNode("model_version", node_id, label, facts))
        if row.run_id:
            edges.append(
                LineageEdge(key("run", row.run_id), "produced", key("model_version", node_id))
            )
        for alias in tags:
            alias_id = f"{row.name}@{alias}"
            nodes.append(
                LineageNode(
                    "alias",
                    alias_id,
                    f"alias {alias_id}",
                    {"model": row.name, "alias": alias, "version": row.version},
                )
            )
            edges.append(
                LineageEdge(key("model_version", node_id), "aliased", key("alias", alias_id))
            )
    return nodes, edges


def _dataset_versions(conn: Connection, ids: list[str]) -> Described:
    pairs = [_split_version(i) for i in ids]
    valid = [(n, v) for n, v in pairs if v is not None]
    if not valid:
        return [], []
    rows = conn.execute(
        select(dt.dataset_versions, dt.datasets.c.name)
        .join(dt.datasets, dt.datasets.c.id == dt.dataset_versions.c.dataset_id)
        .where(
            or_(
                *(
                    and_(dt.datasets.c.name == n, dt.dataset_versions.c.version == v)
                    for n, v in valid
                )
            )
        )
    ).all()
    nodes, edges = [], []
    for row in rows:
        node_id = f"{row.name}/{row.version}"
        facts = {
            "name": row.name,
            "version": row.version,
            "sha256": row.digest,
            "blob_digest": row.blob_digest,
            "rows": row.num_rows,
            "columns": row.columns,
            "source": row.source,
            "run_id": row.run_id,
            "created_at": row.created_at,
        }
        label = f"dataset {row.name} v{row.version} sha256:{row.digest[:12]}"
        nodes.append(LineageNode("dataset_version", node_id, label, facts))
        if row.run_id:
            edges.append(
                LineageEdge(key("run", row.run_id), "produced", key("dataset_version", node_id))
            )
    return nodes, edges


def _feature_views(conn: Connection, ids: list[str]) -> Described:
    pairs = [_split_version(i) for i in ids]
    valid = [(n, v) for n, v in pairs if v is not None]
    if not valid:
        return [], []
    rows = conn.execute(
        select(ft.feature_views).where(
            or_(
                *(
                    and_(ft.feature_views.c.name == n, ft.feature_views.c.version == v)
                    for n, v in valid
                )
            )
        )
    ).all()
    return [
        LineageNode(
            "feature_view",
            f"{row.name}/{row.version}",
            f"feature view {row.name} v{row.version}",
            {"name": row.name, "version": row.version, "digest": row.digest},
        )
        for row in rows
    ], []


def _pipeline_runs(conn: Connection, ids: list[str]) -> Described:
    rows = conn.execute(select(pt.pipeline_runs).where(pt.pipeline_runs.c.id.in_(ids))).all()
    nodes = [
        LineageNode(
            "pipeline_run",
            row.id,
            f"pipeline {row.pipeline} run {row.id[:8]} ({row.status.lower()})",
            {
                "pipeline": row.pipeline,
                "status": row.status,
                "params": row.params,
                "target": row.target,
                "trigger": row.trigger,
                "tracking_run_id": row.run_id,
                "start_time": row.start_time,
                "end_time": row.end_time,
            },
        )
        for row in rows
    ]
    return nodes, []


def _step_runs(conn: Connection, ids: list[str]) -> Described:
    rows = conn.execute(select(pt.step_runs).where(pt.step_runs.c.id.in_(ids))).all()
    nodes, edges = [], []
    for row in rows:
        facts = {
            "step": row.name,
            "function": row.function,
            "status": row.status,
            "cache_key": row.cache_key,
            "cached_from": row.cached_from,
            "run_id": row.run_id,
            "pipeline_run_id": row.pipeline_run_id,
        }
        nodes.append(
            LineageNode("step_run", row.id, f"step {row.name} ({row.status.lower()})", facts)
        )
        edges.append(
            LineageEdge(
                key("step_run", row.id), "part_of", key("pipeline_run", row.pipeline_run_id)
            )
        )
    return nodes, edges


def _split_version(node_id: str) -> tuple[str, int | None]:
    name, _, version = node_id.rpartition("/")
    return (name, int(version)) if is_digits(version) and name else (node_id, None)


_READERS: dict[str, Callable[[Connection, list[str]], Described]] = {
    "run": _runs,
    "model_version": _model_versions,
    "dataset_version": _dataset_versions,
    "feature_view": _feature_views,
    "pipeline_run": _pipeline_runs,
    "step_run": _step_runs,
}

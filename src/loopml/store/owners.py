"""Name what holds a blob, for integrity errors: run artifacts, model versions, datasets.

Only the error path uses this (a corrupted blob is rare), so plain scans are fine.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select

from loopml.store.tables import data, models, tracking

if TYPE_CHECKING:
    from sqlalchemy import Connection

    from loopml.store.db import Database

_LIMIT = 10


def blob_owners(db: Database, digest: str) -> list[str]:
    """Return descriptions of the run artifacts, model versions and datasets holding ``digest``.

    A blob inside a model package is reported with the model versions logged by the same
    run under the package's folder, so a corrupted ``model.pkl`` names ``churn/3``.
    """
    with db.read() as conn:
        found = _artifacts(conn, digest)
        found += _model_versions(conn, digest)
        found += _dataset_versions(conn, digest)
    return list(dict.fromkeys(found))[:_LIMIT]


def _artifacts(conn: Connection, digest: str) -> list[str]:
    table = tracking.run_artifacts
    rows = conn.execute(
        select(table.c.run_id, table.c.path).where(table.c.digest == digest).limit(_LIMIT)
    ).all()
    found = []
    for run_id, path in rows:
        found.append(f"run {run_id} artifact {path}")
        found += _versions_of_run(conn, run_id, path)
    return found


def _versions_of_run(conn: Connection, run_id: str, path: str) -> list[str]:
    table = models.model_versions
    rows = conn.execute(
        select(table.c.name, table.c.version, table.c.source).where(table.c.run_id == run_id)
    ).all()
    folder = path.split("/", 1)[0]
    return [
        f"model version {name}/{version}"
        for name, version, source in rows
        if str(source).rstrip("/").endswith(f"/{folder}")
    ]


def _model_versions(conn: Connection, digest: str) -> list[str]:
    table = models.model_versions
    rows = conn.execute(
        select(table.c.name, table.c.version).where(table.c.digest == digest).limit(_LIMIT)
    ).all()
    return [f"model version {name}/{version}" for name, version in rows]


def _dataset_versions(conn: Connection, digest: str) -> list[str]:
    versions, datasets = data.dataset_versions, data.datasets
    rows = conn.execute(
        select(datasets.c.name, versions.c.version)
        .join(datasets, datasets.c.id == versions.c.dataset_id)
        .where(versions.c.blob_digest == digest)
        .limit(_LIMIT)
    ).all()
    return [f"dataset version {name}/v{version}" for name, version in rows]

"""Experiments: create, find, list, rename and delete named groups of runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import exc as sa_exc, select, update

from loopml._utils.clock import now_ms
from loopml.errors import AlreadyExists, ExperimentNotFound
from loopml.store.tables import tracking as t
from loopml.tracking.entities import Experiment
from loopml.tracking.validation import check_name

if TYPE_CHECKING:
    from sqlalchemy import Row

    from loopml.store.db import Database


def get_experiment(db: Database, name_or_id: str | int) -> Experiment:
    """Return the experiment with this name (or integer id).

    Raises:
        ExperimentNotFound: no such experiment; the message lists the known ones.
    """
    found = find_experiment(db, name_or_id)
    if found is None:
        names = [e.name for e in list_experiments(db)][:20]
        raise ExperimentNotFound(
            f"no experiment {name_or_id!r} in {db.safe_url}. Known experiments: "
            f"{names or 'none'}. Runs create their experiment: lm.start_run({str(name_or_id)!r})."
        )
    return found


def find_experiment(db: Database, name_or_id: str | int) -> Experiment | None:
    """Return the experiment with this name or id, or ``None``."""
    table = t.experiments
    if isinstance(name_or_id, int):
        condition = table.c.id == name_or_id
    else:
        condition = table.c.name == name_or_id
    with db.read() as conn:
        row = conn.execute(select(table).where(condition)).first()
    return None if row is None else _experiment(row)


def create_experiment(db: Database, name: str, description: str | None = None) -> Experiment:
    """Create an experiment.

    Raises:
        AlreadyExists: an experiment with this name exists.
    """
    check_name("experiment", name)
    try:
        with db.write() as conn:
            conn.execute(
                t.experiments.insert().values(
                    name=name, description=description, created_at=now_ms()
                )
            )
    except sa_exc.IntegrityError as err:
        raise AlreadyExists(f"experiment {name!r} already exists; pick another name") from err
    return get_experiment(db, name)


def get_or_create_experiment(db: Database, name: str) -> Experiment:
    """Return the experiment ``name``, creating it if needed (safe under concurrency)."""
    found = find_experiment(db, name)
    if found is not None:
        return found
    check_name("experiment", name)
    with db.write() as conn:
        conn.execute(
            db.upsert(t.experiments, ["name"], []),
            {"name": name, "description": None, "created_at": now_ms()},
        )
    return get_experiment(db, name)


def list_experiments(db: Database, *, include_deleted: bool = False) -> list[Experiment]:
    """Return experiments ordered by name."""
    query = select(t.experiments).order_by(t.experiments.c.name)
    if not include_deleted:
        query = query.where(t.experiments.c.deleted_at.is_(None))
    with db.read() as conn:
        return [_experiment(row) for row in conn.execute(query)]


def rename_experiment(db: Database, name_or_id: str | int, new_name: str) -> Experiment:
    """Rename an experiment."""
    experiment = get_experiment(db, name_or_id)
    check_name("experiment", new_name)
    try:
        with db.write() as conn:
            conn.execute(
                update(t.experiments)
                .where(t.experiments.c.id == experiment.id)
                .values(name=new_name)
            )
    except sa_exc.IntegrityError as err:
        raise AlreadyExists(f"experiment {new_name!r} already exists; pick another name") from err
    return get_experiment(db, experiment.id)


def delete_experiment(db: Database, name_or_id: str | int) -> Experiment:
    """Mark an experiment deleted (its runs stay readable by id)."""
    experiment = get_experiment(db, name_or_id)
    with db.write() as conn:
        conn.execute(
            update(t.experiments)
            .where(t.experiments.c.id == experiment.id)
            .values(deleted_at=now_ms())
        )
    return get_experiment(db, experiment.id)


def _experiment(row: Row[tuple[object, ...]]) -> Experiment:
    mapping = row._mapping
    return Experiment(
        id=int(mapping["id"]),
        name=str(mapping["name"]),
        description=mapping["description"],
        created_at=int(mapping["created_at"]),
        deleted_at=mapping["deleted_at"],
    )

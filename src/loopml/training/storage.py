"""Optuna's RDB storage inside loopml's metadata database.

Optuna keeps its own tables (``studies``, ``trials``...) and its own Alembic revision,
which it would look for in ``alembic_version``: the table where loopml records its own
migration heads. Every Optuna statement is therefore rewritten to use
``optuna_alembic_version`` instead (a SQLAlchemy engine plugin), so the two schemas
live side by side in one SQLite file or PostgreSQL database and neither's migration
check sees the other's revisions. On SQLite, connections wait for locks instead of
failing at once (parallel trials write concurrently) and, like loopml's own connections
(the file is in WAL mode), sync at checkpoints rather than at every commit.
"""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import event, text
from sqlalchemy.dialects import plugins
from sqlalchemy.engine import CreateEnginePlugin
from sqlalchemy.engine.url import make_url

from loopml.errors import MissingDependency
from loopml.store.db import check_liveness

if TYPE_CHECKING:
    from collections.abc import Callable

    import optuna
    from optuna.storages import RDBStorage
    from sqlalchemy import Connection
    from sqlalchemy.engine import URL, Engine

OPTUNA_VERSION_TABLE = "optuna_alembic_version"
SQLITE_BUSY_TIMEOUT_S = 60
_PLUGIN = "loopml_optuna_tables"
_VERSION_TABLE = re.compile(r"\balembic_version(_pkc)?\b")


class OptunaTablesPlugin(CreateEnginePlugin):
    """Point Optuna's Alembic bookkeeping at its own version table."""

    def __init__(self, url: URL, kwargs: dict[str, Any]) -> None:
        super().__init__(url, kwargs)

    def update_url(self, url: URL) -> URL:
        """Remove the plugin from the URL (it is passed in ``plugins=``, not the URL)."""
        return url

    def engine_created(self, engine: Engine) -> None:
        """Rewrite every statement of this engine that names ``alembic_version``."""
        event.listen(engine, "before_cursor_execute", _rename_version_table, retval=True)


def _rename_version_table(
    conn: Any, cursor: Any, statement: str, parameters: Any, context: Any, executemany: bool
) -> tuple[str, Any]:
    if "alembic_version" in statement:
        statement = _VERSION_TABLE.sub(lambda m: OPTUNA_VERSION_TABLE + (m[1] or ""), statement)
    elif parameters and isinstance(parameters, tuple | list) and "alembic_version" in parameters:
        # SQLite's table_info / PostgreSQL's has_table pass the name as a bound value.
        parameters = type(parameters)(
            OPTUNA_VERSION_TABLE if p == "alembic_version" else p for p in parameters
        )
    elif isinstance(parameters, dict) and "alembic_version" in parameters.values():
        parameters = {
            k: OPTUNA_VERSION_TABLE if v == "alembic_version" else v for k, v in parameters.items()
        }
    return statement, parameters


def open_storage(db_url: str) -> RDBStorage:
    """Return Optuna's RDB storage on loopml's metadata database at ``db_url``.

    Raises:
        MissingDependency: Optuna is not installed.
    """
    try:
        from optuna.storages import RDBStorage
    except ImportError as err:  # pragma: no cover - the extra is part of dev
        raise MissingDependency(
            "hyper-parameter search needs Optuna; install it with pip install 'loopml[tune]'"
        ) from err
    plugins.impls[_PLUGIN] = lambda: OptunaTablesPlugin
    url = make_url(db_url)
    engine_kwargs: dict[str, Any] = {"plugins": [_PLUGIN]}
    if url.get_backend_name() == "sqlite":
        engine_kwargs["connect_args"] = {"timeout": SQLITE_BUSY_TIMEOUT_S}
    storage = RDBStorage(url.render_as_string(hide_password=False), engine_kwargs=engine_kwargs)
    if url.get_backend_name() == "sqlite":
        event.listen(storage.engine, "connect", _sqlite_like_loopml)
    else:
        check_liveness(storage.engine)  # like loopml's own engine: ping only when in doubt
    storage.engine.dispose()  # connections opened while Optuna set up its tables
    return storage


def _sqlite_like_loopml(connection: Any, record: Any) -> None:
    """Commit like loopml's own connections: WAL, synced at checkpoints (no fsync per trial)."""
    cursor = connection.cursor()
    try:
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()


# Two hot statements of the trial loop go to Optuna's tables directly (its ORM path costs
# about ten times as much); anything but Optuna's RDB storage takes the public API.
_COUNT_TRIALS = text(
    "SELECT count(*) FROM trials t WHERE t.study_id = :study AND t.state != 'WAITING' "
    "AND NOT EXISTS (SELECT 1 FROM trial_user_attributes a "
    "WHERE a.trial_id = t.trial_id AND a.key = :skip)"
)
_INSERT_ATTR = text(
    "INSERT INTO trial_user_attributes (trial_id, key, value_json) VALUES (:trial, :key, :value)"
)


def _rdb(study: optuna.Study) -> RDBStorage | None:
    from optuna.storages import RDBStorage

    storage = study._storage
    backend = getattr(storage, "_backend", storage)  # Optuna wraps RDB storage in a cache
    return backend if isinstance(backend, RDBStorage) else None


def counted_trials(study: optuna.Study, skip_attr: str) -> int:
    """Count the study's trials that are not waiting and lack user attribute ``skip_attr``.

    One query in Optuna's tables, whatever the number of trials.
    """
    import optuna

    rdb = _rdb(study)
    if rdb is not None:
        # one statement: no transaction to begin and roll back (two round trips fewer)
        with rdb.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            found = conn.execute(
                _COUNT_TRIALS, {"study": study._study_id, "skip": skip_attr}
            ).scalar_one()
        return int(found)
    waiting = optuna.trial.TrialState.WAITING
    trials = study.get_trials(deepcopy=False)
    return sum(1 for t in trials if t.state != waiting and skip_attr not in t.user_attrs)


def attr_writer(
    study: optuna.Study, db_url: str, trial_id: int, key: str
) -> Callable[[Connection, str], None] | None:
    """Return ``write(conn, value)``: set a user attribute of a running trial in ``conn``.

    ``conn`` is a connection of loopml's metadata database at ``db_url``, so the attribute
    commits with whatever else that transaction writes. ``None`` when the study's storage
    is not Optuna's RDB storage on that same database (use :func:`set_trial_attr`).
    """
    rdb = _rdb(study)
    if rdb is None or rdb.engine.url.render_as_string(hide_password=False) != db_url:
        return None

    def write(conn: Connection, value: str) -> None:
        conn.execute(_INSERT_ATTR, {"trial": trial_id, "key": key, "value": json.dumps(value)})

    return write


def set_trial_attr(study: optuna.Study, trial_id: int, key: str, value: Any) -> None:
    """Set a user attribute of a running trial that does not have it yet (one INSERT).

    Optuna's own path reloads the trial first; a trial just asked for needs no check.
    """
    rdb = _rdb(study)
    if rdb is None:
        study._storage.set_trial_user_attr(trial_id, key, value)
        return
    with rdb.engine.begin() as conn:
        conn.execute(_INSERT_ATTR, {"trial": trial_id, "key": key, "value": json.dumps(value)})

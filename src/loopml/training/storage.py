"""Optuna's RDB storage inside loopml's metadata database.

Optuna keeps its own tables (``studies``, ``trials``...) and its own Alembic revision,
which it would look for in ``alembic_version``: the table where loopml records its own
migration heads. Every Optuna statement is therefore rewritten to use
``optuna_alembic_version`` instead (a SQLAlchemy engine plugin), so the two schemas
live side by side in one SQLite file or PostgreSQL database and neither's migration
check sees the other's revisions. On SQLite, connections wait for locks instead of
failing at once (parallel trials write concurrently).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sqlalchemy import event
from sqlalchemy.dialects import plugins
from sqlalchemy.engine import CreateEnginePlugin
from sqlalchemy.engine.url import make_url

from loopml.errors import MissingDependency

if TYPE_CHECKING:
    from optuna.storages import RDBStorage
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
    elif url.get_backend_name() == "postgresql":
        engine_kwargs["pool_pre_ping"] = True
    return RDBStorage(url.render_as_string(hide_password=False), engine_kwargs=engine_kwargs)

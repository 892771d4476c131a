"""tracking_0002 (run heartbeats, params index) upgrades a database that already holds runs."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alembic import command
from alembic.config import Config
from sqlalchemy import inspect

from loopml.store import Database, Store, migrations
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from pathlib import Path


def _alembic(db: Database, action: str, target: str) -> None:
    with db.write() as conn:
        config = Config()
        config.set_main_option("script_location", str(migrations.VERSIONS_DIR.parent))
        config.attributes["connection"] = conn
        getattr(command, action)(config, target)


def test_heartbeat_migration_keeps_existing_runs(db_url: str, tmp_path: Path) -> None:
    store = Store.open(db_url, str(tmp_path / "blobs"))
    with Tracking(store).start_run("old", capture=False) as run:
        run.log_param("model", "gbm")
    _alembic(store.db, "downgrade", "tracking_0001")
    with store.db.read() as conn:
        assert "alive_until" not in {c["name"] for c in inspect(conn).get_columns("runs")}
    store.close()
    upgraded = Store.open(db_url, str(tmp_path / "blobs"))  # migrates on open
    with upgraded.db.read() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("runs")}
        indexes = {i["name"] for i in inspect(conn).get_indexes("runs")}
        param_indexes = {i["name"] for i in inspect(conn).get_indexes("params")}
    assert "alive_until" in columns
    assert "ix_runs_status_alive" in indexes
    assert ("ix_params_key_value" in param_indexes) is upgraded.db.is_sqlite
    tracking = Tracking(upgraded)
    info = tracking.get_run(run.id)
    assert (info.status, info.params) == ("FINISHED", {"model": "gbm"})
    assert tracking.mark_lost_runs() == []  # runs from before heartbeats are never swept
    assert migrations.is_current(upgraded.db)
    upgraded.close()

from __future__ import annotations

import multiprocessing
import sqlite3
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import select, text

from loopml.errors import ConfigError
from loopml.store import Database, Store, db as db_module, leases, migrations
from loopml.store.lineage import Edge, Node, record_edges
from loopml.store.tables import core, tracking as t
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from pathlib import Path


def test_sqlite_runs_in_wal_mode_with_a_busy_timeout(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'x.db'}")
    with db.read() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 60_000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()


def test_heads_parsed_from_files_match_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(migrations.VERSIONS_DIR.parent))
    assert migrations.heads() == frozenset(ScriptDirectory.from_config(config).get_heads())


def test_new_database_is_migrated_on_first_use(fresh_db_url: str) -> None:
    db = Database(fresh_db_url)
    assert migrations.is_current(db)
    assert migrations.upgrade(db) is False
    db.dispose()


def test_schema_matches_table_definitions(fresh_db_url: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from loopml.store.tables import metadata

    db = Database(fresh_db_url)
    with db.read() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": False})
        diff = compare_metadata(context, metadata)
    db.dispose()
    # Only differences in constraint naming may remain; tables and columns must match.
    structural = [
        d for d in diff if d[0] in {"add_table", "remove_table", "add_column", "remove_column"}
    ]
    assert structural == []


def test_database_from_newer_loopml_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.db"
    Database(f"sqlite:///{path}").dispose()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO alembic_version VALUES ('tracking_9999')")
    with pytest.raises(ConfigError, match="newer loopml"):
        Database(f"sqlite:///{path}")


def test_unsupported_database_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="supports SQLite and PostgreSQL"):
        Database("mysql://root@localhost/x", migrate=False)


def test_upsert_inserts_then_updates(store: Store) -> None:
    db = store.db
    stmt = db.upsert(core.leases, ["name"], ["holder"])
    row = {"name": "n", "holder": "a", "expires_at": 1, "acquired_at": 1}
    with db.write() as conn:
        conn.execute(stmt, row)
        conn.execute(stmt, {**row, "holder": "b"})
    with db.read() as conn:
        assert conn.execute(select(core.leases.c.holder)).scalar() == "b"


def test_write_rolls_back_on_error(store: Store) -> None:
    row = {"digest": "a" * 64, "size": 1, "media_type": "x", "created_at": 1}

    def failing_write():
        with store.db.write() as conn:
            conn.execute(core.blobs.insert().values(**row))
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        failing_write()
    with store.db.read() as conn:
        assert conn.execute(select(core.blobs)).all() == []


def test_leases_are_exclusive_until_they_expire(store: Store) -> None:
    assert leases.acquire(store.db, "scheduler", "a", ttl_s=30)
    assert not leases.acquire(store.db, "scheduler", "b", ttl_s=30)
    assert leases.acquire(store.db, "scheduler", "a", ttl_s=30)
    assert leases.holder_of(store.db, "scheduler") == "a"
    leases.release(store.db, "scheduler", "a")
    assert leases.holder_of(store.db, "scheduler") is None
    assert leases.acquire(store.db, "expired", "a", ttl_s=-1)
    assert leases.acquire(store.db, "expired", "b", ttl_s=30)


def test_lineage_edges_are_recorded_once(store: Store) -> None:
    edge = Edge(Node("run", "r1"), "used", Node("dataset_version", "customers/3"))
    record_edges(store, [edge, edge])
    record_edges(store, [edge])
    with store.db.read() as conn:
        rows = conn.execute(select(core.lineage_edges)).all()
    assert len(rows) == 1
    assert (rows[0].src_id, rows[0].relation, rows[0].dst_id) == ("r1", "used", "customers/3")


def _log_from_process(db_url: str, artifacts: str, index: int) -> str:
    store = Store.open(db_url, artifacts)
    tracking = Tracking(store)
    with tracking.start_run("concurrent", name=f"writer-{index}", capture=False) as run:
        for step in range(60):
            run.log_param(f"p{step}", step)
            run.log_metric("loss", 1.0 / (step + 1), step=step)
            run.set_tag("step", step)
            if step % 10 == 0:
                run.flush()
    store.close()
    return run.id


@pytest.mark.slow
def test_eight_writer_processes_never_see_database_is_locked(db_url: str, tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    with context.Pool(8) as pool:
        ids = pool.starmap(
            _log_from_process, [(db_url, str(tmp_path / "art"), i) for i in range(8)]
        )
    db = Database(db_url)
    with db.read() as conn:
        statuses = conn.execute(select(t.runs.c.status).where(t.runs.c.id.in_(ids))).scalars().all()
        params = conn.execute(select(t.params)).all()
    db.dispose()
    assert sorted(statuses) == ["FINISHED"] * 8
    assert len(params) == 8 * 60


@pytest.mark.postgres
def test_a_connection_the_server_dropped_is_replaced_without_an_error(postgres_url: str) -> None:
    db = Database(postgres_url, migrate=False)
    with db.read() as conn:
        dropped = conn.exec_driver_sql("select pg_backend_pid()").scalar()
    admin = Database(postgres_url, migrate=False)
    with admin.read() as conn:  # waits up to 5 s for the backend to exit
        conn.execute(text("select pg_terminate_backend(:pid, 5000)"), {"pid": dropped})
    admin.dispose()
    with db.write() as conn:  # at once: well inside the idle time that skips pings
        now = conn.exec_driver_sql("select pg_backend_pid()").scalar()
    assert now != dropped
    db.dispose()


@pytest.mark.postgres
def test_a_connection_in_steady_use_is_not_pinged_and_an_idle_one_is(
    postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = Database(postgres_url, migrate=False)
    pings: list[object] = []
    ping = db.engine.dialect.do_ping
    monkeypatch.setattr(db.engine.dialect, "do_ping", lambda c: pings.append(c) or ping(c))
    for _ in range(5):
        with db.write() as conn:
            conn.exec_driver_sql("select 1")
    assert pings == []  # a round trip saved on every checkout
    monkeypatch.setattr(db_module, "PING_AFTER_IDLE_S", 0.0)
    with db.read() as conn:
        conn.exec_driver_sql("select 1")
    assert len(pings) == 1  # idle too long: maybe dropped without a word, so pinged
    db.dispose()

"""Shared fixtures: stores on SQLite and (when LOOPML_TEST_POSTGRES_URL is set) PostgreSQL.

Every test session gets its own PostgreSQL database, created here and dropped at the end;
each test starts from empty tables. SQLite tests copy a migrated template file.
"""

from __future__ import annotations

import os
import shutil
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

import loopml as lm
from loopml import _hooks
from loopml.store import Database, Store
from loopml.store.tables import metadata
from loopml.tracking import Tracking

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

POSTGRES_ENV = "LOOPML_TEST_POSTGRES_URL"
REDIS_ENV = "LOOPML_TEST_REDIS_URL"

DIALECTS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Keep tests away from the developer's LOOPML_* settings and ./.loopml."""
    for name in list(os.environ):
        if name.startswith("LOOPML_") and not name.startswith(("LOOPML_TEST_", "LOOPML_REQUIRE_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("LOOPML_HOME", str(tmp_path / "home"))
    yield
    _hooks.replace_default_client(None)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file that tests copy instead of migrating again."""
    path = tmp_path_factory.mktemp("template") / "template.db"
    Database(f"sqlite:///{path}").dispose()
    return path


@contextmanager
def _new_postgres_database(prefix: str, *, migrate: bool) -> Iterator[str]:
    """Create a PostgreSQL database (migrated if asked); drop it on exit."""
    server = os.environ.get(POSTGRES_ENV)
    if not server:
        pytest.skip(f"{POSTGRES_ENV} is not set")
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(Database(server, migrate=False).url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(Database(server, migrate=False).url).set(database=name)
    rendered = url.render_as_string(hide_password=False)
    try:
        if migrate:
            Database(rendered).dispose()
        yield rendered
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test session (dropped afterwards)."""
    with _new_postgres_database("loopml_test", migrate=True) as url:
        yield url


@pytest.fixture(params=DIALECTS)
def fresh_db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database that only this test touches (no other tests' tables).

    The session database also holds what other tests created beside loopml's schema
    (Optuna's tables, for one); schema checks use this one instead.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    with _new_postgres_database("loopml_fresh", migrate=False) as url:
        yield url


@pytest.fixture(params=DIALECTS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path, sqlite_template: Path) -> Iterator[str]:
    """A database URL with the latest schema and no rows, on each dialect."""
    if request.param == "sqlite":
        path = tmp_path / "loopml.db"
        shutil.copyfile(sqlite_template, path)
        yield f"sqlite:///{path}"
        return
    url = request.getfixturevalue("postgres_url")
    yield url
    _truncate(url)


def _truncate(url: str) -> None:
    engine = create_engine(url)
    names = ", ".join(f'"{table.name}"' for table in metadata.sorted_tables)
    with engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> Iterator[Store]:
    """A store on each dialect with local artifacts."""
    opened = Store.open(db_url, str(tmp_path / "artifacts"), home=tmp_path / "home")
    yield opened
    opened.close()


@pytest.fixture
def tracking(store: Store) -> Tracking:
    """The tracking API over ``store``."""
    return Tracking(store)


@pytest.fixture
def client(db_url: str, tmp_path: Path) -> Iterator[lm.Client]:
    """The default client (``lm.*`` functions) pointed at a fresh store on each dialect."""
    configured = lm.configure(
        home=str(tmp_path / "home"), db_url=db_url, artifacts=str(tmp_path / "artifacts")
    )
    yield configured
    configured.close()


@pytest.fixture
def sqlite_client(tmp_path: Path, sqlite_template: Path) -> Iterator[lm.Client]:
    """The default client on SQLite only (for tests that need no dialect matrix)."""
    path = tmp_path / "loopml.db"
    shutil.copyfile(sqlite_template, path)
    configured = lm.configure(
        home=str(tmp_path / "home"),
        db_url=f"sqlite:///{path}",
        artifacts=str(tmp_path / "artifacts"),
    )
    yield configured
    configured.close()


# ---------------------------------------------------------------------------- CI guard
_SERVICE_MARKERS = {"postgres": "LOOPML_REQUIRE_POSTGRES", "redis": "LOOPML_REQUIRE_REDIS"}
_OUTCOMES: dict[str, dict[str, int]] = {m: {"passed": 0, "skipped": 0} for m in _SERVICE_MARKERS}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    for marker in _SERVICE_MARKERS:
        if marker not in report.keywords:
            continue
        if report.skipped:
            _OUTCOMES[marker]["skipped"] += 1
        elif report.when == "call" and report.passed:
            _OUTCOMES[marker]["passed"] += 1


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the session when CI requires a service but its tests were skipped or absent.

    Under pytest-xdist only the controller judges: it sees every worker's reports.
    """
    if hasattr(session.config, "workerinput"):
        return
    for marker, variable in _SERVICE_MARKERS.items():
        if os.environ.get(variable) != "1":
            continue
        outcome = _OUTCOMES[marker]
        if outcome["skipped"] or not outcome["passed"]:
            reporter = session.config.pluginmanager.get_plugin("terminalreporter")
            if reporter is not None:
                reporter.write_line(
                    f"{variable}=1 but {outcome['skipped']} {marker} test(s) were skipped and "
                    f"{outcome['passed']} passed; is the service up?",
                    red=True,
                )
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

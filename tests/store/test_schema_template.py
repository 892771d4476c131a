"""New SQLite databases start as a cached copy of a migrated one (store.migrations.template)."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from loopml.store import Database, migrations
from loopml.store.migrations import template


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "xdg-cache"
    monkeypatch.setenv("XDG_CACHE_HOME", str(folder))
    return folder / "loopml"


def _schema(path: Path) -> list[tuple[str, str, str]]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            "SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type, name"
        ).fetchall()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def test_the_first_new_database_is_cached_and_later_ones_copy_it(
    tmp_path: Path, cache: Path
) -> None:
    first = tmp_path / "a" / "first.db"
    first.parent.mkdir()
    Database(f"sqlite:///{first}").dispose()
    assert template.template_path().is_file()
    assert template.template_path().parent == cache

    second = tmp_path / "b" / "second.db"
    assert template.seed(second) is True
    db = Database(f"sqlite:///{second}")
    assert migrations.is_current(db)
    db.dispose()
    assert _schema(second) == _schema(first)


def test_a_seeded_database_is_opened_without_running_alembic(tmp_path: Path, cache: Path) -> None:
    Database(f"sqlite:///{tmp_path / 'warm.db'}").dispose()
    probe = (
        "import sys; from loopml.store import Database\n"
        f"Database('sqlite:///{tmp_path / 'new.db'}').dispose()\n"
        "print('alembic' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_an_existing_database_is_never_replaced(tmp_path: Path, cache: Path) -> None:
    Database(f"sqlite:///{tmp_path / 'warm.db'}").dispose()
    kept = tmp_path / "kept.db"
    with sqlite3.connect(kept) as conn:
        conn.execute("CREATE TABLE mine (x INTEGER)")
    assert template.seed(kept) is False
    assert ("table", "mine", "CREATE TABLE mine (x INTEGER)") in _schema(kept)


def test_without_a_usable_cache_the_database_is_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the cache folder would go")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    db = Database(f"sqlite:///{tmp_path / 'plain.db'}")
    assert migrations.is_current(db)
    db.dispose()
    assert not template.template_path().exists()


def test_the_cache_key_follows_the_migration_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = template.schema_key()
    versions = tmp_path / "versions"
    versions.mkdir()
    for path in template.VERSIONS_DIR.glob("*.py"):
        (versions / path.name).write_bytes(path.read_bytes())
    (versions / "zz_new.py").write_text('revision = "zz"\ndown_revision = None\n')
    monkeypatch.setattr(template, "VERSIONS_DIR", versions)
    template.schema_key.cache_clear()
    try:
        assert template.schema_key() != before
    finally:
        template.schema_key.cache_clear()


def test_a_database_that_already_holds_rows_is_not_cached(tmp_path: Path, cache: Path) -> None:
    busy = tmp_path / "busy.db"
    Database(f"sqlite:///{busy}", migrate=False).dispose()
    migrations.upgrade(Database(f"sqlite:///{busy}", migrate=False))
    with sqlite3.connect(busy) as conn:
        conn.execute("INSERT INTO leases VALUES ('x', 'someone', 0, 0)")
    template.keep(busy)
    assert not template.template_path().exists()

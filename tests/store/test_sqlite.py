"""What only the embedded SQLite store does: its file, WAL mode, and bad files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from bot.errors import ErrcodeError
from bot.store import LATEST, Store, StoreError, sqlite_url


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "errcode.db"


def test_file_store_creates_parent_dirs_and_uses_wal(db_path: Path) -> None:
    Store(db_path).close()
    assert db_path.exists()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(LATEST,)]
    conn.close()


def test_a_path_and_its_sqlite_url_open_the_same_file(db_path: Path) -> None:
    with Store(db_path) as by_path:
        by_path.mark_event_seen("Ev1")
    with Store(sqlite_url(db_path)) as by_url:
        assert by_url.mark_event_seen("Ev1") is False
        assert by_url.path == str(db_path)


def test_a_version_1_database_is_upgraded_in_place(db_path: Path) -> None:
    with Store(db_path) as s:
        s.mark_event_seen("Ev-before")
    conn = sqlite3.connect(db_path)
    conn.executescript("DROP TABLE leases; DROP TABLE health_status; DROP TABLE jobs;"
                       " DROP TABLE replicas; ALTER TABLE seen_events DROP COLUMN owner;"
                       " ALTER TABLE seen_events DROP COLUMN confirmed;"
                       " UPDATE schema_version SET version = 1;")
    conn.close()
    with Store(db_path) as s:
        assert s.schema_version() == LATEST
        assert s.mark_event_seen("Ev-before") is False  # data kept
        assert s.acquire_lease("job", "a", 10)


def test_memory_store_works(tmp_path: Path) -> None:
    with Store(":memory:") as s:
        assert s.mark_event_seen("Ev1") and not s.mark_event_seen("Ev1")


def test_migrate_false_creates_no_file(db_path: Path) -> None:
    with pytest.raises(StoreError, match="no database here yet"):
        Store(db_path, migrate=False)
    assert not db_path.exists()


def test_corrupt_file_raises_store_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite \x00\xff\xfe" * 200)
    with pytest.raises(StoreError) as info:
        Store(db_path)
    assert isinstance(info.value, ErrcodeError)
    assert info.value.path == str(db_path)
    assert str(db_path) in str(info.value)


def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "a_directory").mkdir()
    with pytest.raises(StoreError, match="a_directory"):
        Store(tmp_path / "a_directory")

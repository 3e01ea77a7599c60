"""The two databases behind one small interface: a transaction that runs SQL.

SQL is written once, with `?` placeholders, in the subset SQLite and PostgreSQL share
(`INSERT ... ON CONFLICT`, `CASE`, `COALESCE`); a backend adapts placeholders and adds
the one thing that differs, `lock(tx, name)`: serialise writers of one kind inside a
transaction (a PostgreSQL advisory lock; SQLite's BEGIN IMMEDIATE already does it).

SQLite: one connection per Store, guarded by a lock, in WAL mode with a busy timeout, so
two Stores (or two processes) on one file stay consistent. The PostgreSQL backend lives
in bot.store.postgres, imported only for postgresql:// URLs.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any, Protocol

from bot.store.location import Location
from bot.store.records import StoreError

__all__ = ["BUSY_TIMEOUT_MS", "Backend", "Cursor", "SQLiteBackend", "Tx", "open_backend"]

BUSY_TIMEOUT_MS = 10_000


class Cursor(Protocol):
    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Tx(Protocol):
    """One open transaction."""

    def execute(self, sql: str, params: Sequence[object] = (), /) -> Cursor: ...


class Backend(Protocol):
    dialect: str
    where: str  # safe to print: a path, or the URL with its password masked

    def transaction(self, *, write: bool = True) -> AbstractContextManager[Tx]: ...

    def lock(self, tx: Tx, name: str) -> None: ...

    def has_table(self, tx: Tx, name: str) -> bool: ...

    def close(self) -> None: ...


def open_backend(location: Location, *, create: bool = True, pool_size: int = 10,
                 timeout_s: float = 5.0) -> Backend:
    """The backend for a location; `create=False` refuses to make a new SQLite file."""
    if location.dialect == "postgresql":
        try:
            from bot.store.postgres import PostgresBackend  # the driver loads only here
        except ImportError as exc:
            raise StoreError(location.shown, "PostgreSQL needs psycopg and psycopg-pool "
                             f"(pip install 'psycopg[binary]' psycopg-pool): {exc}") from exc
        return PostgresBackend(location, pool_size=pool_size, timeout_s=timeout_s)
    return SQLiteBackend(location.target, create=create)


class SQLiteBackend:
    """SQLite through the standard library; safe to share between threads."""

    dialect = "sqlite"

    def __init__(self, path: str, *, create: bool = True) -> None:
        self.where = path
        self._lock = threading.RLock()
        memory = path == ":memory:"
        self._conn: sqlite3.Connection | None = None
        try:
            if not memory and create:
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            if not memory and not create and not Path(path).is_file():
                raise StoreError(path, "no database here yet (run `errcode db upgrade`)")
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(path, f"cannot open database: {exc}") from exc
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not memory:
                _set_wal(conn)
                conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            self.close()
            raise StoreError(path, f"not a usable errcode database: {exc}") from exc

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """One transaction under the instance lock; BEGIN IMMEDIATE for writes, so two
        processes never interleave a read-then-write."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError(self.where, "store is closed")
            try:
                conn.execute("BEGIN IMMEDIATE" if write else "BEGIN")
                try:
                    yield conn
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                conn.execute("COMMIT")
            except sqlite3.Error as exc:
                raise StoreError(self.where, str(exc)) from exc

    def lock(self, tx: Tx, name: str) -> None:
        """Nothing to do: a write transaction already holds the database's write lock."""

    def has_table(self, tx: Tx, name: str) -> bool:
        return tx.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                          (name,)).fetchone() is not None

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None


def _set_wal(conn: sqlite3.Connection) -> None:
    """WAL mode, retried: while another process turns a new file to WAL, SQLite answers
    "database is locked" at once, without waiting out the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.01)

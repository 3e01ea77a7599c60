"""PostgreSQL through psycopg 3 and its connection pool: one database for several replicas.

A connection is checked as it leaves the pool, so after a server restart or a killed
backend the next call gets a fresh one; while the server is down, calls fail with
StoreError instead of hanging: the first within CALL_WAIT_S, the next at once for a
moment (OUTAGE_FAIL_FAST_S), so acks keep Slack's deadline through a restart.
Statements run under a timeout, so a stuck lock cannot hold a Slack worker forever. The
password never reaches a message.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from bot.store.backends import Cursor, Tx
from bot.store.location import MASK, Location
from bot.store.records import StoreError

__all__ = ["PostgresBackend"]

STATEMENT_TIMEOUT_MS = 10_000
# psycopg_pool retries a failed connect with backoff (1 s, 2 s, 4 s...) for this long;
# kept short, so after an outage the next call connects at once, not at the next backoff.
RECONNECT_TIMEOUT_S = 1.0
APPLICATION_NAME = "errcode"
# A call waits this long at most for a pooled connection: Slack's 3 s ack deadline holds
# two store calls (the event's mark, the question's row).
CALL_WAIT_S = 1.2
# After a call found the server unreachable, calls fail at once for this long instead of
# each waiting CALL_WAIT_S: acks go on during an outage (and say what was not recorded).
OUTAGE_FAIL_FAST_S = 2.0


class PostgresBackend:
    """A pool of psycopg connections (autocommit; explicit transactions per call)."""

    dialect = "postgresql"

    def __init__(self, location: Location, *, pool_size: int = 10,
                 timeout_s: float = 5.0) -> None:
        self.where = location.shown
        url = location.target
        try:
            params = conninfo_to_dict(url)
        except psycopg.Error as exc:
            raise StoreError(self.where, "not a valid PostgreSQL URL") from exc
        self._password = str(params.get("password") or "")
        kwargs: dict[str, Any] = {"autocommit": True,
                                  "connect_timeout": max(2, round(timeout_s))}
        if "application_name" not in params:
            kwargs["application_name"] = APPLICATION_NAME
        self._probe(url, kwargs)  # a clear reason now, not a pool timeout later
        self._pool: ConnectionPool[psycopg.Connection[Any]] = ConnectionPool(
            url, min_size=1, max_size=pool_size, kwargs=kwargs, open=False,
            timeout=min(timeout_s, CALL_WAIT_S), check=ConnectionPool.check_connection,
            configure=_configure, name="errcode-store",
            reconnect_timeout=RECONNECT_TIMEOUT_S)
        self._down_until = 0.0
        try:
            self._pool.open(wait=True, timeout=timeout_s)
        except psycopg.Error as exc:
            self._pool.close()
            raise StoreError(self.where, f"cannot connect: {self._describe(exc)}") from None

    def _probe(self, url: str, kwargs: dict[str, Any]) -> None:
        try:
            psycopg.connect(url, **kwargs).close()
        except psycopg.Error as exc:
            raise StoreError(self.where, f"cannot connect: {self._describe(exc)}") from None

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Tx]:
        """A pooled connection in one transaction; any driver failure is a StoreError."""
        if time.monotonic() < self._down_until:
            raise StoreError(self.where, "unreachable a moment ago; not tried again yet")
        try:
            with self._pool.connection() as conn, conn.transaction():
                yield _PgTx(conn)
        except psycopg.Error as exc:
            if self._is_outage(exc):
                self._down_until = time.monotonic() + OUTAGE_FAIL_FAST_S
            raise StoreError(self.where, self._describe(exc)) from exc

    def _is_outage(self, exc: psycopg.Error) -> bool:
        """The server is gone (not a busy pool, not a slow statement)."""
        if isinstance(exc, PoolTimeout):
            return self._pool.get_stats().get("pool_size", 1) == 0
        return (isinstance(exc, psycopg.OperationalError)
                and not isinstance(exc, psycopg.errors.QueryCanceled))

    def lock(self, tx: Tx, name: str) -> None:
        """Serialise this kind of write across replicas until the transaction ends."""
        tx.execute("SELECT pg_advisory_xact_lock(?)", (lock_key(name),))

    def has_table(self, tx: Tx, name: str) -> bool:
        return bool(tx.execute("SELECT to_regclass(?) IS NOT NULL", (name,)).fetchone()[0])

    def close(self) -> None:
        self._pool.close(timeout=5)

    def _describe(self, exc: BaseException) -> str:
        """The driver's first line, without the password (libpq does not print it, but a
        server or proxy message might echo the connection string)."""
        lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
        text = lines[0] if lines else type(exc).__name__
        if self._password:
            text = text.replace(self._password, MASK)
        return text


class _PgTx:
    def __init__(self, conn: psycopg.Connection[Any]) -> None:
        self._conn = conn

    def execute(self, sql: str, params: Sequence[object] = (), /) -> Cursor:
        return self._conn.execute(_placeholders(sql), params)


@lru_cache(maxsize=256)
def _placeholders(sql: str) -> str:
    """`?` -> `%s` (the store's SQL holds no literal `?` or `%`)."""
    assert "%" not in sql, sql
    return sql.replace("?", "%s")


def lock_key(name: str) -> int:
    """A stable advisory-lock key per name (crc32 fits PostgreSQL's bigint)."""
    return zlib.crc32(f"errcode:{name}".encode())


def _configure(conn: psycopg.Connection[Any]) -> None:
    conn.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_MS}")

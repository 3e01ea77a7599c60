"""The databases store tests run on: a SQLite file per test, and, when
ERRCODE_TEST_POSTGRES_URL is set, a fresh PostgreSQL schema per test inside a database
made for this run (dropped at the end), so parallel runs never share a table.

    with PostgresRun(os.environ["ERRCODE_TEST_POSTGRES_URL"]) as run:
        url = run.fresh_url()          # postgresql://.../errcode_test_1a2b3c?options=...
"""

from __future__ import annotations

import os
import secrets
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg

ENV = "ERRCODE_TEST_POSTGRES_URL"
DIALECTS = ("sqlite", "postgresql") if os.environ.get(ENV, "").strip() else ("sqlite",)
NOT_RUN = (f"PostgreSQL store tests not run: {ENV} is not set (e.g. "
           f"{ENV}=postgresql://postgres@127.0.0.1:5432/postgres); SQLite ones ran")


def with_query(url: str, **params: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query))
    query.update(params)
    return urlunsplit(parts._replace(query=urlencode(query)))


def on_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


class PostgresRun:
    """A database of its own for this test run, and a new schema in it per test."""

    def __init__(self, server_url: str) -> None:
        self.server_url = server_url
        self.name = f"errcode_test_{os.getpid()}_{secrets.token_hex(4)}"
        self.url = on_database(server_url, self.name)
        self._admin: psycopg.Connection | None = None

    def __enter__(self) -> PostgresRun:
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{self.name}"')
        self._admin = psycopg.connect(self.url, autocommit=True)
        return self

    def __exit__(self, *exc: object) -> None:
        if self._admin is not None:
            self._admin.close()
        with psycopg.connect(self.server_url, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')

    @property
    def admin(self) -> psycopg.Connection:
        assert self._admin is not None
        return self._admin

    def fresh_url(self) -> str:
        """A URL whose search_path is a new, empty schema."""
        schema = f"t_{secrets.token_hex(6)}"
        self.admin.execute(f'CREATE SCHEMA "{schema}"')
        return with_query(self.url, options=f"-csearch_path={schema}")

    def terminate(self, application_name: str) -> int:
        """Kill every backend of that application, as a DBA (or a failover) would."""
        rows = self.admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE application_name = %s AND pid <> pg_backend_pid()",
            (application_name,)).fetchall()
        return sum(1 for (ok,) in rows if ok)

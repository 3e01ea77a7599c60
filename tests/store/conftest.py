"""Every store test runs once per database: SQLite always, PostgreSQL when
ERRCODE_TEST_POSTGRES_URL is set (a line at the end of the run says when it was not)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from bot.store import Store, sqlite_url
from tests.store.databases import DIALECTS, ENV, NOT_RUN, PostgresRun

# Without a server, the PostgreSQL-only module is not collected at all: one summary line
# (below) says so, instead of a skip per test.
collect_ignore = [] if "postgresql" in DIALECTS else ["test_postgres.py"]


@pytest.fixture(scope="session")
def pg_run() -> Iterator[PostgresRun | None]:
    url = os.environ.get(ENV, "").strip()
    if not url:
        yield None
        return
    with PostgresRun(url) as run:
        yield run


@pytest.fixture(params=DIALECTS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path,
              pg_run: PostgresRun | None) -> str:
    """An empty database: a new SQLite file, or a new PostgreSQL schema."""
    if request.param == "sqlite":
        return sqlite_url(tmp_path / "state" / "errcode.db")
    assert pg_run is not None
    return pg_run.fresh_url()


@pytest.fixture
def open_store(store_url: str) -> Iterator[Callable[..., Store]]:
    """Opens Stores on the test's database (a replica each); all closed at the end."""
    opened: list[Store] = []

    def make(**kwargs: object) -> Store:
        store = Store(store_url, **kwargs)  # type: ignore[arg-type]
        opened.append(store)
        return store

    yield make
    for store in opened:
        store.close()


@pytest.fixture
def store(open_store: Callable[..., Store]) -> Store:
    return open_store()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if "postgresql" not in DIALECTS:
        terminalreporter.write_line(NOT_RUN, yellow=True, bold=True)

"""Persistence behind one interface: SQLite embedded by default, PostgreSQL by URL for
several replicas; one schema and one list of migrations for both.

    records    what the store hands back (frozen dataclasses), StoreError, unmatched_key
    location   storage URL -> Location; passwords masked for messages
    backends   the SQLite backend and the interface both backends offer
    postgres   psycopg 3 + psycopg_pool (imported only for postgresql:// URLs)
    schema     MIGRATIONS and the migration runner (locked, so replicas migrate once)
    packets    escalation packets in SQL: numbers unique across replicas, versions
    jobs       acknowledged work in SQL: kept until answered, taken under a lease
    group      group commit: concurrent writes share a transaction (SQLite)
    tokens     random row ids and tokens from OS randomness drawn in bulk
    store      Store: events, claims, leases, jobs, queries, feedback, unmatched, packets

`errcode lookup` imports none of this; the PostgreSQL driver loads only when a
postgresql:// URL is opened.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.store.backends import open_backend
from bot.store.location import Location, mask_url, parse_location, sqlite_url
from bot.store.records import (
    FeedbackRow,
    PacketRecord,
    PacketSummary,
    SavedQuery,
    StoreError,
    TakenJob,
    UnmatchedRow,
    unmatched_key,
)
from bot.store.schema import LATEST, MIGRATIONS, read_version
from bot.store.store import CLEANUP_LEASE, JOB_PURGE_S, QUERY_TTL_S, Store, default_holder

if TYPE_CHECKING:
    from bot.config import Settings

__all__ = [
    "CLEANUP_LEASE", "JOB_PURGE_S", "LATEST", "MIGRATIONS", "QUERY_TTL_S", "FeedbackRow",
    "Location", "PacketRecord", "PacketSummary", "SavedQuery", "Store", "StoreError", "TakenJob",
    "UnmatchedRow", "default_holder", "mask_url", "open_store", "parse_location",
    "schema_version_at", "sqlite_url", "unmatched_key",
]


def open_store(settings: Settings, *, migrate: bool = True) -> Store:
    """The store the settings name (storage_url, else the SQLite storage_path), migrated."""
    return Store(settings.store_url, migrate=migrate)


def schema_version_at(target: str) -> int:
    """The schema version of the database at `target`, creating nothing (0: none yet).

    Raises StoreError when the database cannot be reached.
    """
    location = parse_location(target)
    if location.dialect == "sqlite" and location.target != ":memory:":
        from pathlib import Path

        if not Path(location.target).exists():
            return 0
    backend = open_backend(location, create=False)
    try:
        with backend.transaction(write=False) as tx:
            return read_version(backend, tx)
    finally:
        backend.close()

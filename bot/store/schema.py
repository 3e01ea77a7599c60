"""One schema and one list of forward migrations for SQLite and PostgreSQL.

MIGRATIONS[n] takes the schema from version n to n + 1; `schema_version` holds the
version. The statements use only what both databases accept (DOUBLE PRECISION, not
REAL, which is 4 bytes in PostgreSQL; "user" quoted, a reserved word there). Migrating
runs in one transaction under the backend's `lock("migrate")` (a PostgreSQL advisory
lock; SQLite's BEGIN IMMEDIATE), so replicas that start together migrate once.
"""

from __future__ import annotations

from bot.store.backends import Backend, Tx
from bot.store.records import StoreError

__all__ = ["LATEST", "MIGRATIONS", "migrate", "read_version"]

MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (  # 1: the single-replica schema
        "CREATE TABLE seen_events (id TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX seen_events_expiry ON seen_events (expires_at)",
        "CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at DOUBLE PRECISION NOT NULL)",
        "CREATE INDEX claims_expiry ON claims (expires_at)",
        'CREATE TABLE queries (id TEXT PRIMARY KEY, text TEXT NOT NULL, product TEXT,'
        ' channel TEXT, "user" TEXT, created_at DOUBLE PRECISION NOT NULL)',
        "CREATE INDEX queries_created ON queries (created_at)",
        # voter is user or '' so anonymous votes share one slot per query.
        'CREATE TABLE feedback (query_id TEXT NOT NULL, voter TEXT NOT NULL, "user" TEXT,'
        " helpful INTEGER NOT NULL, catalog TEXT, code TEXT,"
        " created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (query_id, voter))",
        "CREATE TABLE unmatched (product TEXT NOT NULL, key TEXT NOT NULL,"
        " example TEXT NOT NULL, count INTEGER NOT NULL,"
        " first_seen DOUBLE PRECISION NOT NULL, last_seen DOUBLE PRECISION NOT NULL,"
        " nearest TEXT, PRIMARY KEY (product, key))",
        "CREATE TABLE packets (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
        " thread_key TEXT NOT NULL UNIQUE, product TEXT, author TEXT, title TEXT NOT NULL,"
        " latest_version INTEGER NOT NULL, created_at DOUBLE PRECISION NOT NULL,"
        " updated_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE packet_versions (packet_id TEXT NOT NULL REFERENCES packets (id),"
        " version INTEGER NOT NULL, product TEXT, author TEXT, title TEXT NOT NULL,"
        " markdown TEXT NOT NULL, data_json TEXT NOT NULL,"
        " created_at DOUBLE PRECISION NOT NULL, PRIMARY KEY (packet_id, version))",
    ),
    (  # 2: several replicas: leases (one replica runs a job) and the health watch's memory
        "CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL,"
        " expires_at DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE health_status (target TEXT PRIMARY KEY, status TEXT NOT NULL,"
        " changed_at DOUBLE PRECISION NOT NULL)",
    ),
    (  # 3: acknowledged work, kept until answered (bot.store.jobs); taken under a lease.
        # A seen event is confirmed once its job is stored; an unconfirmed one whose
        # owner replica is dead (replicas.alive_until past) may be taken by a retry.
        "ALTER TABLE seen_events ADD COLUMN owner TEXT",
        "ALTER TABLE seen_events ADD COLUMN confirmed INTEGER NOT NULL DEFAULT 1",
        "CREATE TABLE replicas (holder TEXT PRIMARY KEY,"
        " alive_until DOUBLE PRECISION NOT NULL)",
        "CREATE TABLE jobs (id TEXT PRIMARY KEY, queue TEXT NOT NULL, kind TEXT NOT NULL,"
        " payload TEXT NOT NULL, accepted_by TEXT NOT NULL,"
        " created_at DOUBLE PRECISION NOT NULL, holder TEXT, token TEXT,"
        " lease_until DOUBLE PRECISION NOT NULL, attempts INTEGER NOT NULL,"
        " sending INTEGER NOT NULL)",
        "CREATE INDEX jobs_ready ON jobs (queue, lease_until, created_at)",
        "CREATE INDEX jobs_accepted_by ON jobs (accepted_by, queue)",
        "CREATE INDEX jobs_holder ON jobs (holder, queue)",
    ),
)
LATEST = len(MIGRATIONS)


def read_version(backend: Backend, tx: Tx) -> int:
    """The schema's version; 0 for an empty database."""
    if not backend.has_table(tx, "schema_version"):
        return 0
    row = tx.execute("SELECT version FROM schema_version").fetchone()
    return int(row[0]) if row else 0


def migrate(backend: Backend) -> tuple[int, int]:
    """Bring the schema to LATEST; returns (version before, version after).

    A database newer than this errcode raises StoreError: running old code on it could
    write rows the newer code misreads. An up-to-date database is only read, so replicas
    may run as a role without DDL rights once `errcode db upgrade` has run.
    """
    with backend.transaction(write=False) as tx:
        current = read_version(backend, tx)
    if current == LATEST:
        return LATEST, LATEST
    with backend.transaction(write=True) as tx:
        backend.lock(tx, "migrate")
        tx.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = tx.execute("SELECT version FROM schema_version").fetchone()
        if row is None:
            tx.execute("INSERT INTO schema_version (version) VALUES (0)")
        before = int(row[0]) if row else 0
        if before > LATEST:
            raise StoreError(backend.where, f"schema version {before} is newer than this "
                             f"errcode understands ({LATEST}); upgrade errcode")
        for steps in MIGRATIONS[before:]:
            for statement in steps:
                tx.execute(statement)
        if before != LATEST:
            tx.execute("UPDATE schema_version SET version = ?", (LATEST,))
    return before, LATEST

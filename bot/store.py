"""errcode's persistence: seen Slack events, claims, saved queries, feedback,
unmatched queries and versioned escalation packets, in SQLite (stdlib sqlite3).

The store keeps exactly the text it is given: callers redact (bot.redact) before
storing. One connection per Store, guarded by a lock, serves every thread; writes
run in BEGIN IMMEDIATE transactions with a busy timeout, so two Stores (or two
processes) on one file stay consistent. Every sqlite3 failure surfaces as StoreError.
"""

from __future__ import annotations

import re
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from bot.errors import ErrcodeError

__all__ = [
    "FeedbackRow",
    "PacketRecord",
    "PacketSummary",
    "SavedQuery",
    "Store",
    "StoreError",
    "UnmatchedRow",
    "unmatched_key",
]

QUERY_TTL_S = 30 * 24 * 3600
UNMATCHED_MAX_CHARS = 500
BUSY_TIMEOUT_MS = 10_000

# Forward migrations: MIGRATIONS[n] takes the schema from version n to n + 1.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    (
        "CREATE TABLE seen_events (id TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
        "CREATE INDEX seen_events_expiry ON seen_events (expires_at)",
        "CREATE TABLE claims (key TEXT PRIMARY KEY, expires_at REAL NOT NULL)",
        "CREATE INDEX claims_expiry ON claims (expires_at)",
        "CREATE TABLE queries (id TEXT PRIMARY KEY, text TEXT NOT NULL, product TEXT,"
        " channel TEXT, user TEXT, created_at REAL NOT NULL)",
        "CREATE INDEX queries_created ON queries (created_at)",
        # voter is user or '' so anonymous votes share one slot per query.
        "CREATE TABLE feedback (query_id TEXT NOT NULL, voter TEXT NOT NULL, user TEXT,"
        " helpful INTEGER NOT NULL, catalog TEXT, code TEXT, created_at REAL NOT NULL,"
        " PRIMARY KEY (query_id, voter))",
        "CREATE TABLE unmatched (product TEXT NOT NULL, key TEXT NOT NULL,"
        " example TEXT NOT NULL, count INTEGER NOT NULL, first_seen REAL NOT NULL,"
        " last_seen REAL NOT NULL, nearest TEXT, PRIMARY KEY (product, key))",
        "CREATE TABLE packets (id TEXT PRIMARY KEY, seq INTEGER NOT NULL UNIQUE,"
        " thread_key TEXT NOT NULL UNIQUE, product TEXT, author TEXT, title TEXT NOT NULL,"
        " latest_version INTEGER NOT NULL, created_at REAL NOT NULL, updated_at REAL NOT NULL)",
        "CREATE TABLE packet_versions (packet_id TEXT NOT NULL REFERENCES packets (id),"
        " version INTEGER NOT NULL, product TEXT, author TEXT, title TEXT NOT NULL,"
        " markdown TEXT NOT NULL, data_json TEXT NOT NULL, created_at REAL NOT NULL,"
        " PRIMARY KEY (packet_id, version))",
    ),
)


class StoreError(ErrcodeError):
    """The database could not be opened, read or written; names the path."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        self.detail = message
        super().__init__(f"{path}: {message}")


@dataclass(frozen=True, slots=True)
class SavedQuery:
    id: str
    text: str
    product: str | None
    channel: str | None
    user: str | None
    created_at: float


@dataclass(frozen=True, slots=True)
class FeedbackRow:
    catalog: str | None
    code: str | None
    helpful: int
    not_helpful: int


@dataclass(frozen=True, slots=True)
class UnmatchedRow:
    text: str
    count: int
    first_seen: float
    last_seen: float
    nearest: str | None
    product: str | None


@dataclass(frozen=True, slots=True)
class PacketRecord:
    id: str
    version: int
    thread_key: str
    product: str | None
    author: str | None
    title: str
    markdown: str
    data_json: str
    created_at: float


@dataclass(frozen=True, slots=True)
class PacketSummary:
    id: str
    thread_key: str
    product: str | None
    author: str | None
    title: str
    latest_version: int
    created_at: float
    updated_at: float


# Order matters: specific shapes (uuids, timestamps, ids) before bare numbers.
_NORMALISERS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b"), "<uuid>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}[t ]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
                r"(?:z|[+-]\d{2}:?\d{2})?(?![0-9a-z])"), "<time>"),
    (re.compile(r"\b\d{4}-\d{2}-\d{2}\b"), "<date>"),
    (re.compile(r"\b\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?\b"), "<time>"),
    (re.compile(r"\b[a-z]{2,10}_(?=[a-z0-9]*\d)[a-z0-9]{6,}\b"), "<id>"),  # req_8f3a2b91
    (re.compile(r"\b0x[0-9a-f]+\b"), "<hex>"),
    # Tokens of 8+ chars mixing letters and digits: hashes, Slack ids (C0CHAN123).
    (re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{8,}\b"), "<id>"),
)
# Bare numbers; digits glued to letters or a dash (MV-1042, E1234) are error codes, kept.
_NUMBER = re.compile(r"(?<![a-z0-9_.-])\d+(?:\.\d+)?(?![a-z0-9])")
_HTTP_STATUS = re.compile(r"[1-5]\d\d")


def unmatched_key(text: str) -> str:
    """Normalise text so queries differing only in times, ids or counts share one key.

    HTTP statuses and code-like tokens (MV-1042) are kept: they are what is missing.
    """
    key = text.lower()
    for pattern, placeholder in _NORMALISERS:
        key = pattern.sub(placeholder, key)
    key = _NUMBER.sub(lambda m: m[0] if _HTTP_STATUS.fullmatch(m[0]) else "<n>", key)
    return " ".join(key.split())[:UNMATCHED_MAX_CHARS]


class Store:
    """SQLite-backed persistence; safe to share between threads. Use as a context manager."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._lock = threading.RLock()
        self._memory = self.path == ":memory:"
        self._conn: sqlite3.Connection | None = None
        try:
            if not self._memory:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000,
                                   isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(self.path, f"cannot open database: {exc}") from exc
        self._conn = conn
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            if not self._memory:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except BaseException as exc:
            self.close()
            if isinstance(exc, sqlite3.Error):
                raise StoreError(self.path, f"not a usable errcode database: {exc}") from exc
            raise

    def _migrate(self) -> None:
        with self._tx() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = conn.execute("SELECT version FROM schema_version").fetchone()
            if row is None:
                conn.execute("INSERT INTO schema_version (version) VALUES (0)")
            version = row[0] if row else 0
            if version > len(MIGRATIONS):
                raise StoreError(self.path, f"schema version {version} is newer than this "
                                 f"errcode understands ({len(MIGRATIONS)}); upgrade errcode")
            for steps in MIGRATIONS[version:]:
                for statement in steps:
                    conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (len(MIGRATIONS),))

    @contextmanager
    def _tx(self, *, write: bool = True) -> Iterator[sqlite3.Connection]:
        """One transaction under the instance lock; BEGIN IMMEDIATE for writes."""
        with self._lock:
            conn = self._conn
            if conn is None:
                raise StoreError(self.path, "store is closed")
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
                raise StoreError(self.path, str(exc)) from exc

    def close(self) -> None:
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    # -- seen events and claims: first writer wins, entries expire ---------------------

    def _first_within_ttl(self, table: str, key: str, now: float | None, ttl_s: float) -> bool:
        if not key:
            raise ValueError(f"{table}: key must be a non-empty string")
        if ttl_s <= 0:
            raise ValueError(f"{table}: ttl_s must be positive, got {ttl_s}")
        now = time.time() if now is None else now
        with self._tx() as conn:
            conn.execute(f"DELETE FROM {table} WHERE expires_at <= ?", (now,))
            cur = conn.execute(f"INSERT OR IGNORE INTO {table} VALUES (?, ?)", (key, now + ttl_s))
            return cur.rowcount == 1

    def mark_event_seen(self, event_id: str, *, now: float | None = None,
                        ttl_s: float = 3600) -> bool:
        """Record a Slack event id; True only the first time within ttl_s (dedupes retries)."""
        return self._first_within_ttl("seen_events", event_id, now, ttl_s)

    def claim(self, key: str, *, ttl_s: float = 30, now: float | None = None) -> bool:
        """Take a short-lived claim (e.g. one escalate click); True if nobody holds it."""
        return self._first_within_ttl("claims", key, now, ttl_s)

    def release(self, key: str) -> None:
        with self._tx() as conn:
            conn.execute("DELETE FROM claims WHERE key = ?", (key,))

    # -- saved queries ------------------------------------------------------------------

    def save_query(self, text: str, *, product: str | None = None, channel: str | None = None,
                   user: str | None = None, now: float | None = None) -> str:
        """Keep a query for later buttons; returns an opaque id short enough for a button value."""
        now = time.time() if now is None else now
        query_id = "q_" + secrets.token_urlsafe(9)
        with self._tx() as conn:
            conn.execute("DELETE FROM queries WHERE created_at < ?", (now - QUERY_TTL_S,))
            conn.execute("INSERT INTO queries VALUES (?, ?, ?, ?, ?, ?)",
                         (query_id, text, product, channel, user, now))
        return query_id

    def get_query(self, query_id: str, *, now: float | None = None) -> SavedQuery | None:
        """The saved query, or None when unknown or older than 30 days."""
        now = time.time() if now is None else now
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT * FROM queries WHERE id = ? AND created_at >= ?",
                               (query_id, now - QUERY_TTL_S)).fetchone()
        return SavedQuery(*row) if row else None

    # -- feedback -----------------------------------------------------------------------

    def record_feedback(self, query_id: str, *, helpful: bool, user: str | None,
                        catalog: str | None, code: str | None,
                        now: float | None = None) -> None:
        """One vote per (query_id, user): a later vote replaces the earlier one."""
        now = time.time() if now is None else now
        with self._tx() as conn:
            conn.execute("INSERT OR REPLACE INTO feedback VALUES (?, ?, ?, ?, ?, ?, ?)",
                         (query_id, user or "", user, int(helpful), catalog, code, now))

    def feedback_summary(self) -> list[FeedbackRow]:
        """Votes per (catalog, code), most not-helpful first."""
        with self._tx(write=False) as conn:
            rows = conn.execute(
                "SELECT catalog, code, SUM(helpful), SUM(1 - helpful) FROM feedback"
                " GROUP BY catalog, code"
                " ORDER BY SUM(1 - helpful) DESC, SUM(helpful) ASC, catalog, code").fetchall()
        return [FeedbackRow(*row) for row in rows]

    # -- unmatched queries --------------------------------------------------------------

    def record_unmatched(self, text: str, *, product: str | None = None,
                         nearest: str | None = None, now: float | None = None) -> None:
        """Count a query nothing matched confidently, grouped by unmatched_key(text)."""
        key = unmatched_key(text)
        if not key:
            return
        now = time.time() if now is None else now
        example = text.strip()[:UNMATCHED_MAX_CHARS]
        with self._tx() as conn:
            conn.execute(
                "INSERT INTO unmatched VALUES (?, ?, ?, 1, ?, ?, ?)"
                " ON CONFLICT (product, key) DO UPDATE SET count = count + 1,"
                " last_seen = MAX(last_seen, excluded.last_seen),"
                " first_seen = MIN(first_seen, excluded.first_seen),"
                " nearest = COALESCE(excluded.nearest, nearest)",
                (product or "", key, example, now, now, nearest))

    def top_unmatched(self, limit: int = 20, *, product: str | None = None) -> list[UnmatchedRow]:
        """Most frequent unmatched queries first (optionally for one product)."""
        sql = "SELECT example, count, first_seen, last_seen, nearest, product FROM unmatched"
        params: tuple[object, ...] = ()
        if product is not None:
            sql, params = sql + " WHERE product = ?", (product,)
        sql += " ORDER BY count DESC, last_seen DESC LIMIT ?"
        with self._tx(write=False) as conn:
            rows = conn.execute(sql, (*params, limit)).fetchall()
        return [UnmatchedRow(text=row[0], count=row[1], first_seen=row[2], last_seen=row[3],
                             nearest=row[4], product=row[5] or None) for row in rows]

    # -- escalation packets -------------------------------------------------------------

    def save_packet(self, thread_key: str, *, product: str | None, author: str | None,
                    title: str, markdown: str, data_json: str,
                    now: float | None = None) -> PacketRecord:
        """Save a packet for a thread: first save makes ESC-NNNN v1, later saves add versions.

        Content identical to the latest version (a double click) returns that version.
        """
        if not thread_key:
            raise ValueError("save_packet: thread_key must be a non-empty string")
        now = time.time() if now is None else now
        with self._tx() as conn:
            found = conn.execute("SELECT id, latest_version FROM packets WHERE thread_key = ?",
                                 (thread_key,)).fetchone()
            if found is None:
                seq = conn.execute("SELECT COALESCE(MAX(seq), 0) + 1 FROM packets").fetchone()[0]
                packet_id, version = f"ESC-{seq:04d}", 1
                conn.execute("INSERT INTO packets VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                             (packet_id, seq, thread_key, product, author, title, now, now))
            else:
                packet_id, latest = found
                same = conn.execute(
                    "SELECT 1 FROM packet_versions WHERE packet_id = ? AND version = ?"
                    " AND markdown = ? AND data_json = ?",
                    (packet_id, latest, markdown, data_json)).fetchone()
                if same:
                    record = self._packet(conn, packet_id, latest)
                    assert record is not None
                    return record
                version = latest + 1
                conn.execute("UPDATE packets SET product = ?, author = ?, title = ?,"
                             " latest_version = ?, updated_at = ? WHERE id = ?",
                             (product, author, title, version, now, packet_id))
            conn.execute("INSERT INTO packet_versions VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                         (packet_id, version, product, author, title, markdown, data_json, now))
        return PacketRecord(packet_id, version, thread_key, product, author, title,
                            markdown, data_json, now)

    @staticmethod
    def _packet(conn: sqlite3.Connection, packet_id: str,
                version: int | None) -> PacketRecord | None:
        row = conn.execute(
            "SELECT v.packet_id, v.version, p.thread_key, v.product, v.author, v.title,"
            " v.markdown, v.data_json, v.created_at"
            " FROM packet_versions v JOIN packets p ON p.id = v.packet_id"
            " WHERE v.packet_id = ? AND v.version = COALESCE(?, p.latest_version)",
            (packet_id, version)).fetchone()
        return PacketRecord(*row) if row else None

    def get_packet(self, packet_id: str, version: int | None = None) -> PacketRecord | None:
        """A packet's given version, or its latest when version is None."""
        with self._tx(write=False) as conn:
            return self._packet(conn, packet_id, version)

    def packet_for_thread(self, thread_key: str) -> PacketRecord | None:
        """The latest version of the thread's packet, if it has one."""
        with self._tx(write=False) as conn:
            row = conn.execute("SELECT id FROM packets WHERE thread_key = ?",
                               (thread_key,)).fetchone()
            return self._packet(conn, row[0], None) if row else None

    def list_packets(self, limit: int = 50) -> list[PacketSummary]:
        """Packets, most recently updated first."""
        with self._tx(write=False) as conn:
            rows = conn.execute(
                "SELECT id, thread_key, product, author, title, latest_version, created_at,"
                " updated_at FROM packets ORDER BY updated_at DESC, seq DESC LIMIT ?",
                (limit,)).fetchall()
        return [PacketSummary(*row) for row in rows]

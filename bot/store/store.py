"""errcode's persistence behind one interface, on SQLite (one replica) or PostgreSQL (several).

What several replicas share is decided by the database, never by a read-then-write in
Python: a Slack event or a claim is taken by one `INSERT ... ON CONFLICT` (first writer
wins, expired rows are taken over in the same statement), packet numbers are handed out
under a per-database lock, and a lease (`acquire_lease`) lets one replica at a time run a
job: the TTL clean-up here, the health watch. Acknowledged work is kept as rows until
answered (bot.store.jobs), each taken under a lease of its own. On SQLite, writes from
concurrent threads share transactions (group commit, bot.store.group); each call still
returns only once its write is committed.

The store keeps exactly the text it is given: callers redact (bot.redact) before
storing. Every database failure surfaces as StoreError, with one log line naming what
could not be read or recorded (ids, never pasted text).
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType
from typing import TypeVar

from bot.store import jobs, packets, schema
from bot.store.backends import Tx, open_backend
from bot.store.group import GroupCommit
from bot.store.location import parse_location
from bot.store.records import (
    UNMATCHED_MAX_CHARS,
    FeedbackRow,
    PacketRecord,
    PacketSummary,
    SavedQuery,
    StoreError,
    TakenJob,
    UnmatchedRow,
    unmatched_key,
)
from bot.store.tokens import token_urlsafe

__all__ = ["CLEANUP_EVERY_S", "CLEANUP_LEASE", "JOB_PURGE_S", "QUERY_TTL_S", "Store",
           "default_holder"]

log = logging.getLogger("errcode.store")

T = TypeVar("T")

QUERY_TTL_S = 30 * 24 * 3600
CLEANUP_EVERY_S = 60.0
CLEANUP_LEASE = "store-cleanup"
JOB_PURGE_S = 2 * 3600  # a job this old was abandoned (workers give up at 30 min): purged
_COUNT_UNMATCHED = (
    "INSERT INTO unmatched (product, key, example, count, first_seen, last_seen, nearest)"
    " VALUES (?, ?, ?, 1, ?, ?, ?)"
    " ON CONFLICT (product, key) DO UPDATE SET count = unmatched.count + 1,"
    " last_seen = CASE WHEN excluded.last_seen > unmatched.last_seen"
    " THEN excluded.last_seen ELSE unmatched.last_seen END,"
    " first_seen = CASE WHEN excluded.first_seen < unmatched.first_seen"
    " THEN excluded.first_seen ELSE unmatched.first_seen END,"
    " nearest = COALESCE(excluded.nearest, unmatched.nearest)")


def default_holder() -> str:
    """A lease holder name unique to this process: host, pid and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class Store:
    """Shared state for every surface; safe to share between threads. A context manager.

    `target` is a storage URL (sqlite:///PATH, postgresql://...) or a SQLite path. The
    schema is migrated on open unless `migrate=False`; `create` (default: migrate) lets a
    new SQLite file be made. `timeout_s` bounds the wait for a pooled connection.
    """

    def __init__(self, target: str | Path, *, migrate: bool = True,
                 create: bool | None = None, pool_size: int = 10,
                 timeout_s: float = 5.0) -> None:
        self.location = parse_location(target)
        self.path = self.location.shown  # safe to print: a path, or the URL masked
        self.dialect = self.location.dialect
        self.holder = default_holder()
        self.closed = False
        self._cleanup_lock = threading.Lock()
        self._last_cleanup = float("-inf")
        create = migrate if create is None else create
        self._backend = open_backend(self.location, create=create, pool_size=pool_size,
                                     timeout_s=timeout_s)
        # SQLite: writes from concurrent threads share transactions (bot.store.group): its
        # one connection takes them in turn anyway. PostgreSQL runs them side by side on
        # pooled connections; batches holding row locks of several writes could deadlock
        # another replica's, and the backend takes the error for an outage.
        self._writes = (GroupCommit(lambda: self._backend.transaction(write=True))
                        if self.dialect == "sqlite" else None)
        if migrate:
            try:
                schema.migrate(self._backend)
            except BaseException:
                self.close()
                raise

    def __repr__(self) -> str:
        return f"Store({self.path!r})"

    def close(self) -> None:
        self.closed = True
        self._backend.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    @contextmanager
    def _read(self, op: str, item: str = "") -> Iterator[Tx]:
        try:
            with self._backend.transaction(write=False) as tx:
                yield tx
        except StoreError as err:
            self._failed(op, item, err)
            raise

    def _write(self, op: str, item: str, write: Callable[[Tx], T]) -> T:
        """`write(tx)` committed, in a transaction it may share with other threads'
        writes (SQLite, bot.store.group): it must only run SQL on `tx`, and may run again
        when a write beside it failed."""
        try:
            if self._writes is not None:
                return self._writes.run(write)
            with self._backend.transaction(write=True) as tx:
                return write(tx)
        except StoreError as err:
            self._failed(op, item, err)
            raise

    def _failed(self, op: str, item: str, err: StoreError) -> None:
        what = f" item={_kv(item)}" if item else ""
        log.warning("event=store_failed op=%s%s store=%s error=%s", op, what,
                    _kv(self.path), _kv(err.detail))

    def schema_version(self) -> int:
        """The database's schema version (schema.LATEST once migrated)."""
        with self._read("schema_version") as tx:
            return schema.read_version(self._backend, tx)

    def migrate(self) -> tuple[int, int]:
        """Bring the schema up to date; (before, after). Safe from several processes."""
        return schema.migrate(self._backend)

    # -- seen events and claims: first writer wins, entries expire ---------------------

    def _first_within_ttl(self, table: str, column: str, key: str, now: float | None,
                          ttl_s: float) -> bool:
        if not key:
            raise ValueError(f"{table}: key must be a non-empty string")
        if ttl_s <= 0:
            raise ValueError(f"{table}: ttl_s must be positive, got {ttl_s}")
        now = time.time() if now is None else now
        first = self._write(f"record_{table}", key, lambda tx: tx.execute(
            f"INSERT INTO {table} ({column}, expires_at) VALUES (?, ?)"
            f" ON CONFLICT ({column}) DO UPDATE SET expires_at = excluded.expires_at"
            f" WHERE {table}.expires_at <= ?", (key, now + ttl_s, now)).rowcount == 1)
        self._maybe_clean_up(now)
        return first

    def mark_event_seen(self, event_id: str, *, now: float | None = None,
                        ttl_s: float = 3600) -> bool:
        """Record a Slack event id; True only the first time within ttl_s (dedupes retries).

        One exception keeps an acked event from being lost: a mark never confirmed (no
        job was stored for it, `add_job(event_id=...)`) whose replica is known dead (its
        `replicas` heartbeat ran out) is taken by the retry, which then answers it."""
        if not event_id:
            raise ValueError("seen_events: key must be a non-empty string")
        if ttl_s <= 0:
            raise ValueError(f"seen_events: ttl_s must be positive, got {ttl_s}")
        now = time.time() if now is None else now
        first = self._write("record_seen_events", event_id, lambda tx: jobs.mark_event(
            tx, event_id, owner=self.holder, now=now, expires_at=now + ttl_s))
        self._maybe_clean_up(now)
        return first

    def claim(self, key: str, *, ttl_s: float = 30, now: float | None = None) -> bool:
        """Take a short-lived claim (e.g. one escalate click); True if nobody holds it."""
        return self._first_within_ttl("claims", "key", key, now, ttl_s)

    def release(self, key: str) -> None:
        """Give a claim back (see `release_lease` for leases)."""
        self._write("release_claim", key,
                    lambda tx: tx.execute("DELETE FROM claims WHERE key = ?", (key,)))

    # -- leases: one holder at a time, taken over once expired --------------------------

    def acquire_lease(self, name: str, holder: str, ttl_s: float, *,
                      now: float | None = None) -> bool:
        """Take `name` for ttl_s if it is free or expired, or extend it if `holder` has it."""
        if not name or not holder or ttl_s <= 0:
            raise ValueError("acquire_lease: name, holder and a positive ttl_s are needed")
        now = time.time() if now is None else now
        return self._write("acquire_lease", name, lambda tx: tx.execute(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?, ?, ?)"
            " ON CONFLICT (name) DO UPDATE SET holder = excluded.holder,"
            " expires_at = excluded.expires_at"
            " WHERE leases.expires_at <= ? OR leases.holder = excluded.holder",
            (name, holder, now + ttl_s, now)).rowcount == 1)

    def renew_lease(self, name: str, holder: str, ttl_s: float, *,
                    now: float | None = None) -> bool:
        """Extend a lease `holder` still holds; False when it expired or changed hands."""
        now = time.time() if now is None else now
        return self._write("renew_lease", name, lambda tx: tx.execute(
            "UPDATE leases SET expires_at = ? WHERE name = ? AND holder = ?"
            " AND expires_at > ?", (now + ttl_s, name, holder, now)).rowcount == 1)

    def release_lease(self, name: str, holder: str) -> bool:
        """Give the lease up (only its holder can), so another replica need not wait."""
        return self._write("release_lease", name, lambda tx: tx.execute(
            "DELETE FROM leases WHERE name = ? AND holder = ?", (name, holder)).rowcount == 1)

    def lease_holder(self, name: str, *, now: float | None = None) -> str | None:
        """Who holds `name` now, or None when it is free."""
        now = time.time() if now is None else now
        with self._read("lease_holder", name) as tx:
            row = tx.execute("SELECT holder FROM leases WHERE name = ? AND expires_at > ?",
                             (name, now)).fetchone()
        return row[0] if row else None

    # -- acknowledged work: a row per job until answered (SQL in bot.store.jobs) -----------

    def add_job(self, queue: str, kind: str, payload: str, *, limit: int | None = None,
                event_id: str | None = None, now: float | None = None) -> str | None:
        """Keep a job (JSON payload) until answered; its id, or None when this replica
        (`holder`) already has `limit` jobs of the queue unanswered, or DUPLICATE when
        `event_id`'s mark is not this replica's to confirm (another answers it)."""
        now = time.time() if now is None else now

        def add(tx: Tx) -> str | None:
            if event_id and not jobs.confirm_event(tx, event_id, owner=self.holder,
                                                   expires_at=now + 3600):
                return jobs.DUPLICATE
            # Shed (None): confirmed all the same, the busy note is the event's answer.
            return jobs.add_job(tx, queue, kind, payload, accepted_by=self.holder, now=now,
                                limit=limit)

        return self._write("add_job", f"{kind} job", add)

    def alive(self, ttl_s: float, *, now: float | None = None) -> None:
        """This replica is alive for ttl_s more (its workers' heartbeat); 0: it stops."""
        now = time.time() if now is None else now
        until = now + ttl_s if ttl_s > 0 else 0.0
        self._write("replica_alive", self.holder,
                    lambda tx: jobs.alive(tx, self.holder, until=until))

    def take_jobs(self, queue: str, *, limit: int, lease_s: float, probe: bool = False,
                  now: float | None = None) -> list[TakenJob]:
        """Up to `limit` free jobs (never taken, or their lease expired), oldest first,
        leased to this Store's holder; `probe` looks with a read first (idle polling)."""
        if limit < 1:
            return []
        now = time.time() if now is None else now
        if probe:
            with self._read("jobs_ready", queue) as tx:
                if not jobs.jobs_ready(tx, queue, now):
                    return []
        return self._write("take_jobs", queue, lambda tx: jobs.take_jobs(
            self._backend, tx, queue, holder=self.holder, limit=limit, lease_s=lease_s,
            now=now))

    def renew_jobs(self, queue: str, lease_s: float, *, now: float | None = None) -> int:
        """Extend the leases this holder has on the queue's jobs; how many."""
        now = time.time() if now is None else now
        return self._write("renew_jobs", queue, lambda tx: jobs.renew_jobs(
            tx, queue, holder=self.holder, lease_s=lease_s, now=now))

    def mark_job_sending(self, job_id: str, token: str) -> bool:
        """The job's answer is leaving; False when the claim is no longer ours."""
        return self._write("mark_job_sending", job_id,
                           lambda tx: jobs.mark_sending(tx, job_id, token))

    def finish_job(self, job_id: str, token: str) -> bool:
        """The job is answered: delete it (payload too); False when the claim is not ours."""
        return self._write("finish_job", job_id,
                           lambda tx: jobs.finish_job(tx, job_id, token))

    def release_jobs(self, claims: Iterable[TakenJob]) -> int:
        """Hand back claimed jobs not yet started, for another taker at once; how many."""
        claims = list(claims)
        return self._write("release_jobs", "", lambda tx: sum(
            jobs.release_job(tx, job.id, job.token) for job in claims))

    def pending_jobs(self, queue: str | None = None, *, here: bool = False) -> int:
        """Jobs not yet answered: of one queue, and only those this holder accepted."""
        with self._read("pending_jobs", queue or "") as tx:
            return jobs.pending_jobs(tx, queue=queue,
                                     accepted_by=self.holder if here else None)

    # -- TTL clean-up, by one replica at a time -------------------------------------

    def _maybe_clean_up(self, now: float) -> None:
        """At most once a minute per process, and only under the clean-up lease, so
        replicas do not all delete the same rows at once."""
        if abs(now - self._last_cleanup) < CLEANUP_EVERY_S:
            return
        if not self._cleanup_lock.acquire(blocking=False):
            return
        try:
            self._last_cleanup = now
            if self.acquire_lease(CLEANUP_LEASE, self.holder, CLEANUP_EVERY_S, now=now):
                self.purge_expired(now=now)
        except StoreError:
            pass  # logged by _write; the caller's own write went through
        finally:
            self._cleanup_lock.release()

    def purge_expired(self, *, now: float | None = None) -> int:
        """Delete expired events, claims and leases, queries past 30 days and jobs abandoned
    hours ago; rows deleted."""
        now = time.time() if now is None else now

        def purge(tx: Tx) -> int:
            deleted = 0
            for sql, cutoff in (("DELETE FROM seen_events WHERE expires_at <= ?", now),
                                ("DELETE FROM claims WHERE expires_at <= ?", now),
                                ("DELETE FROM leases WHERE expires_at <= ?", now),
                                ("DELETE FROM queries WHERE created_at < ?", now - QUERY_TTL_S)):
                deleted += max(tx.execute(sql, (cutoff,)).rowcount, 0)
            deleted += jobs.purge_jobs(tx, older_than=now - JOB_PURGE_S)
            return deleted + jobs.purge_replicas(tx, older_than=now - 24 * 3600)

        deleted = self._write("purge_expired", "", purge)
        if deleted:
            log.debug("event=store_purged rows=%d", deleted)
        return deleted

    # -- saved queries ------------------------------------------------------------------

    def save_query(self, text: str, *, product: str | None = None, channel: str | None = None,
                   user: str | None = None, now: float | None = None) -> str:
        """Keep a query for later buttons; returns an opaque id short enough for a button value."""
        now = time.time() if now is None else now
        query_id = "q_" + token_urlsafe(9)
        self._write("save_query", f"query in {channel or '-'} by {user or '-'}",
                    lambda tx: tx.execute(
                        'INSERT INTO queries (id, text, product, channel, "user", created_at)'
                        " VALUES (?, ?, ?, ?, ?, ?)", (query_id, text, product, channel, user,
                                                       now)))
        self._maybe_clean_up(now)
        return query_id

    def get_query(self, query_id: str, *, now: float | None = None) -> SavedQuery | None:
        """The saved query, or None when unknown or older than 30 days."""
        now = time.time() if now is None else now
        with self._read("get_query", query_id) as tx:
            row = tx.execute('SELECT id, text, product, channel, "user", created_at'
                             " FROM queries WHERE id = ? AND created_at >= ?",
                             (query_id, now - QUERY_TTL_S)).fetchone()
        return SavedQuery(*row) if row else None

    # -- feedback -----------------------------------------------------------------------

    def record_feedback(self, query_id: str, *, helpful: bool, user: str | None,
                        catalog: str | None, code: str | None,
                        now: float | None = None) -> None:
        """One vote per (query_id, user): a later vote replaces the earlier one."""
        now = time.time() if now is None else now
        self._write("record_feedback", f"vote on {query_id}", lambda tx: tx.execute(
            'INSERT INTO feedback (query_id, voter, "user", helpful, catalog, code,'
            " created_at) VALUES (?, ?, ?, ?, ?, ?, ?)"
            ' ON CONFLICT (query_id, voter) DO UPDATE SET "user" = excluded."user",'
            " helpful = excluded.helpful, catalog = excluded.catalog,"
            " code = excluded.code, created_at = excluded.created_at",
            (query_id, user or "", user, int(helpful), catalog, code, now)))

    def feedback_summary(self) -> list[FeedbackRow]:
        """Votes per (catalog, code), most not-helpful first."""
        with self._read("feedback_summary") as tx:
            rows = tx.execute(
                "SELECT catalog, code, SUM(helpful), SUM(1 - helpful) FROM feedback"
                " GROUP BY catalog, code ORDER BY SUM(1 - helpful) DESC, SUM(helpful) ASC,"
                " catalog NULLS FIRST, code NULLS FIRST").fetchall()
        return [FeedbackRow(row[0], row[1], int(row[2]), int(row[3])) for row in rows]

    # -- unmatched queries --------------------------------------------------------------

    def record_unmatched(self, text: str, *, product: str | None = None,
                         nearest: str | None = None, now: float | None = None) -> None:
        """Count a query nothing matched confidently, grouped by unmatched_key(text)."""
        key = unmatched_key(text)
        if not key:
            return
        now = time.time() if now is None else now
        example = text.strip()[:UNMATCHED_MAX_CHARS]
        self._write("record_unmatched", f"unmatched query for {product or '-'}",
                    lambda tx: tx.execute(_COUNT_UNMATCHED,
                                          (product or "", key, example, now, now, nearest)))

    def top_unmatched(self, limit: int = 20, *, product: str | None = None) -> list[UnmatchedRow]:
        """Most frequent unmatched queries first (optionally for one product)."""
        sql = "SELECT example, count, first_seen, last_seen, nearest, product FROM unmatched"
        params: tuple[object, ...] = ()
        if product is not None:
            sql, params = sql + " WHERE product = ?", (product,)
        sql += " ORDER BY count DESC, last_seen DESC LIMIT ?"
        with self._read("top_unmatched") as tx:
            rows = tx.execute(sql, (*params, limit)).fetchall()
        return [UnmatchedRow(text=row[0], count=row[1], first_seen=row[2], last_seen=row[3],
                             nearest=row[4], product=row[5] or None) for row in rows]

    # -- the health watch's last statuses, shared so a new holder goes on from them -----

    def health_statuses(self) -> dict[str, str]:
        """Target name -> the status last announced."""
        with self._read("health_statuses") as tx:
            rows = tx.execute("SELECT target, status FROM health_status").fetchall()
        return {row[0]: row[1] for row in rows}

    def record_health_status(self, target: str, status: str, *,
                             now: float | None = None) -> None:
        now = time.time() if now is None else now
        self._write("record_health_status", target, lambda tx: tx.execute(
            "INSERT INTO health_status (target, status, changed_at) VALUES (?, ?, ?)"
            " ON CONFLICT (target) DO UPDATE SET status = excluded.status,"
            " changed_at = excluded.changed_at", (target, status, now)))

    # -- escalation packets (SQL in bot.store.packets) ---------------------------------

    def save_packet(self, thread_key: str, *, product: str | None, author: str | None,
                    title: str, markdown: str, data_json: str,
                    now: float | None = None) -> PacketRecord:
        """Save a packet for a thread: first save makes ESC-NNNN v1, later saves add versions.

        Content identical to the latest version (a double click) returns that version.
        Saves are serialised per database, so numbers never collide across replicas.
        """
        if not thread_key:
            raise ValueError("save_packet: thread_key must be a non-empty string")
        now = time.time() if now is None else now
        return self._write("save_packet", f"packet for {thread_key}",
                           lambda tx: packets.save_packet(
                               self._backend, tx, thread_key, product=product, author=author,
                               title=title, markdown=markdown, data_json=data_json, now=now))

    def get_packet(self, packet_id: str, version: int | None = None) -> PacketRecord | None:
        """A packet's given version, or its latest when version is None."""
        with self._read("get_packet", packet_id) as tx:
            return packets.packet(tx, packet_id, version)

    def packet_for_thread(self, thread_key: str) -> PacketRecord | None:
        """The latest version of the thread's packet, if it has one."""
        with self._read("packet_for_thread", thread_key) as tx:
            return packets.packet_for_thread(tx, thread_key)

    def list_packets(self, limit: int = 50) -> list[PacketSummary]:
        """Packets, most recently updated first."""
        with self._read("list_packets") as tx:
            return packets.list_packets(tx, limit)


def _kv(value: object) -> str:
    text = str(value)
    return '"' + text.replace('"', "'") + '"' if (not text or any(c in text for c in ' "=')) \
        else text

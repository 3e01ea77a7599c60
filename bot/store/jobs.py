"""Acknowledged work in SQL: a row per job from the ack until it is answered, taken under
a lease, so a job whose replica died is taken by another once the lease runs out.

    add       at the ack; refused (None) when this replica has `limit` jobs unanswered
    take      the oldest free jobs (never taken, or their lease expired): a new token and
              a lease. PostgreSQL: `FOR UPDATE SKIP LOCKED`, so takers never wait on each
              other; SQLite: the write transaction (BEGIN IMMEDIATE) serialises takers.
    renew     extend the leases this holder has (its heartbeat while it works)
    sending   the answer is about to leave: only the claim's token may say so
    finish    done: the row is deleted (its payload with it), again only by the token
    release   a stopping replica hands back the jobs it has not started

A token per take means a worker whose lease ran out (paused, partitioned) can neither
send nor finish a job another replica has taken since.

Slack events are marked seen on arrival (one winner across replicas), before the
listener stores their job. A replica killed between the two would lose the event: its
retries are duplicates. So a mark names its owner and is confirmed with the job, in the
job's transaction; a retry may take an unconfirmed mark whose owner is dead (its
`replicas` heartbeat ran out), and a late confirmation by the old owner is then refused.
"""

from __future__ import annotations

from bot.store.backends import Backend, Tx
from bot.store.records import TakenJob
from bot.store.tokens import token_hex, token_urlsafe

__all__ = ["DUPLICATE", "add_job", "alive", "confirm_event", "finish_job", "jobs_ready",
           "mark_event", "mark_sending", "pending_jobs", "purge_jobs", "purge_replicas",
           "release_job", "renew_jobs", "take_jobs"]

DUPLICATE = "duplicate"  # add_job's answer when another replica owns the event
_COLUMNS = "id, queue, kind, payload, accepted_by, created_at, token, attempts, sending"


def add_job(tx: Tx, queue: str, kind: str, payload: str, *, accepted_by: str, now: float,
            limit: int | None) -> str | None:
    """Insert a job; None (nothing inserted) when `accepted_by` already has `limit` jobs of
    this queue unanswered. One statement: the count and the insert cannot interleave with
    another ack's on SQLite; on PostgreSQL the bound may be passed by the few acks racing."""
    job_id = "j_" + token_urlsafe(12)
    values = (job_id, queue, kind, payload, accepted_by, now)
    insert = ("INSERT INTO jobs (id, queue, kind, payload, accepted_by, created_at, holder,"
              " token, lease_until, attempts, sending)")
    if limit is None:
        tx.execute(insert + " VALUES (?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0, 0)", values)
        return job_id
    cur = tx.execute(
        insert + " SELECT ?, ?, ?, ?, ?, ?, NULL, NULL, 0, 0, 0"
        " WHERE (SELECT COUNT(*) FROM jobs WHERE accepted_by = ? AND queue = ?) < ?",
        (*values, accepted_by, queue, limit))
    return job_id if cur.rowcount == 1 else None


def jobs_ready(tx: Tx, queue: str, now: float) -> bool:
    """Is there a job free to take (a cheap read before a write transaction)?"""
    return tx.execute("SELECT 1 FROM jobs WHERE queue = ? AND lease_until <= ? LIMIT 1",
                      (queue, now)).fetchone() is not None


def take_jobs(backend: Backend, tx: Tx, queue: str, *, holder: str, limit: int,
              lease_s: float, now: float) -> list[TakenJob]:
    """Up to `limit` free jobs, oldest first, leased to `holder` until now + lease_s."""
    skip = " FOR UPDATE SKIP LOCKED" if backend.dialect == "postgresql" else ""
    token = token_hex(8)
    rows = tx.execute(
        "UPDATE jobs SET holder = ?, token = ?, lease_until = ?, attempts = attempts + 1"
        " WHERE lease_until <= ? AND id IN (SELECT id FROM jobs WHERE queue = ?"
        f" AND lease_until <= ? ORDER BY created_at LIMIT ?{skip}) RETURNING {_COLUMNS}",
        (holder, token, now + lease_s, now, queue, now, limit)).fetchall()
    jobs = [TakenJob(row[0], row[1], row[2], row[3], row[4], float(row[5]), row[6],
                     int(row[7]), bool(row[8])) for row in rows]
    return sorted(jobs, key=lambda j: j.created_at)


def renew_jobs(tx: Tx, queue: str, *, holder: str, lease_s: float, now: float) -> int:
    """Extend every lease `holder` has on this queue; how many."""
    return max(tx.execute("UPDATE jobs SET lease_until = ? WHERE holder = ? AND queue = ?",
                          (now + lease_s, holder, queue)).rowcount, 0)


def mark_sending(tx: Tx, job_id: str, token: str) -> bool:
    """Record that the answer is leaving; False when this claim is no longer the job's."""
    return tx.execute("UPDATE jobs SET sending = 1 WHERE id = ? AND token = ?",
                      (job_id, token)).rowcount == 1


def finish_job(tx: Tx, job_id: str, token: str) -> bool:
    """Delete the answered job; False when this claim is no longer the job's."""
    return tx.execute("DELETE FROM jobs WHERE id = ? AND token = ?",
                      (job_id, token)).rowcount == 1


def release_job(tx: Tx, job_id: str, token: str) -> bool:
    """Hand back a claimed job not yet started: free at once for any taker, its old
    token refused from now on, and the take not counted (it was never run)."""
    return tx.execute("UPDATE jobs SET holder = NULL, token = NULL, lease_until = 0,"
                      " attempts = attempts - 1 WHERE id = ? AND token = ? AND sending = 0",
                      (job_id, token)).rowcount == 1


def pending_jobs(tx: Tx, *, queue: str | None = None, accepted_by: str | None = None) -> int:
    """Jobs not yet answered (of one queue, or accepted by one replica)."""
    sql, params = "SELECT COUNT(*) FROM jobs WHERE 1 = 1", list[object]()
    if queue is not None:
        sql, params = sql + " AND queue = ?", [*params, queue]
    if accepted_by is not None:
        sql, params = sql + " AND accepted_by = ?", [*params, accepted_by]
    return int(tx.execute(sql, params).fetchone()[0])


def purge_jobs(tx: Tx, *, older_than: float) -> int:
    """Jobs nobody could finish (abandoned long ago): their payload must not linger."""
    return max(tx.execute("DELETE FROM jobs WHERE created_at < ?", (older_than,)).rowcount, 0)


# -- seen events: marked on arrival, confirmed with their job ----------------------------


def mark_event(tx: Tx, event_id: str, *, owner: str, now: float, expires_at: float) -> bool:
    """True for the first mark within its TTL, or one taking an unconfirmed mark whose
    owner is dead."""
    return tx.execute(
        "INSERT INTO seen_events (id, expires_at, owner, confirmed) VALUES (?, ?, ?, 0)"
        " ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at,"
        " owner = excluded.owner, confirmed = 0"
        " WHERE seen_events.expires_at <= ? OR (seen_events.confirmed = 0 AND"
        " seen_events.owner IN (SELECT holder FROM replicas WHERE alive_until <= ?))",
        (event_id, expires_at, owner, now, now)).rowcount == 1


def confirm_event(tx: Tx, event_id: str, *, owner: str, expires_at: float) -> bool:
    """Confirm `owner`'s mark (a job is being stored for it); False when the mark is
    someone else's, or already confirmed. An event never marked is marked confirmed."""
    return tx.execute(
        "INSERT INTO seen_events (id, expires_at, owner, confirmed) VALUES (?, ?, ?, 1)"
        " ON CONFLICT (id) DO UPDATE SET confirmed = 1"
        " WHERE seen_events.owner = excluded.owner AND seen_events.confirmed = 0",
        (event_id, expires_at, owner)).rowcount == 1


def alive(tx: Tx, holder: str, *, until: float) -> None:
    tx.execute("INSERT INTO replicas (holder, alive_until) VALUES (?, ?)"
               " ON CONFLICT (holder) DO UPDATE SET alive_until = excluded.alive_until",
               (holder, until))


def purge_replicas(tx: Tx, *, older_than: float) -> int:
    return max(tx.execute("DELETE FROM replicas WHERE alive_until < ?",
                          (older_than,)).rowcount, 0)

"""The answer queue kept in the shared store: an acknowledged question is never lost.

A listener's job is data (`kind` + JSON `payload`: what to answer, where, for whom),
inserted as a row before the ack leaves, so a replica killed after acking loses nothing:

    ack:     add_job (bounded: past `limit` jobs this replica accepted and not yet
             answered, the person is told "busy", as with the in-memory queue; for
             SHED_WINDOW_S after the store said so, at once, nothing redacted or stored)
    taker:   one thread per queue takes free jobs (never taken, or their lease expired)
             as the CPU workers have room: at once for this replica's own acks, within
             `poll_s` for any other's, within `lease_s` + `poll_s` for a dead replica's
    worker:  runs the job by kind (`Runner`); right before the answer leaves it makes
             sure the claim is still its own (`Claim.sending`: free while the lease is
             fresh, else one write that only the claim's token passes), then the post goes
             to the deliveries and the CPU worker moves on
    done:    once delivered the row is deleted (the payload with it)
    leases:  renewed every lease_s / 3 while held; a stopping replica hands back the jobs
             it has not started
    alive:   the replica's own heartbeat (`Store.alive`), every lease_s / 3: an event it
             marked seen but died before storing as a job is taken by Slack's next retry
             once the heartbeat has run out (bot.store.jobs)

Answered exactly once: a worker whose lease lapsed can neither send nor finish (its
token is refused). What no store can settle is a replica killed between Slack taking a
post and the row being deleted: a job taken again is `Claim.resumed`, and the runner
checks Slack for the earlier post where it can (thread replies carry the job id in their
metadata); a response_url cannot be asked, so that answer may come twice.

Jobs of kinds the runner does not know (closures: buttons, escalations) and jobs the
store could not record (database down) run from the in-memory queue, as before.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol

from bot.slack.workers import BoundedQueue, Job, ShedLog, guard
from bot.store import Store, StoreError, TakenJob
from bot.store.jobs import DUPLICATE

log = logging.getLogger("errcode.slack")

LEASE_S = 12.0  # a dead replica's jobs are taken by another this long after its last renewal
POLL_S = 0.5  # how often an idle replica looks for jobs other replicas acked
# After the store refused a job (this replica's bound reached), new questions are told
# "busy" at once for this long, without being redacted and stored first (`shed_if_full`).
SHED_WINDOW_S = 0.05
MAX_ATTEMPTS = 3  # a job taken this often took its workers down each time: given up
MAX_AGE_S = 25 * 60  # a response_url is valid for 30 minutes: older jobs are given up
CLOSE_WAIT_S = 3.0  # a stopping replica waits this long for answers already leaving
PREFETCH = 4  # jobs taken per CPU worker ahead of it: takes come in batches under load


class Claim:
    """The job as its runner sees it. `resumed`: it was taken before (that replica died),
    so the answer may already be in Slack. `sending()`, right before the answer leaves:
    False when the job is no longer ours (send nothing). `job_id` None: run from memory."""

    def __init__(self, job_id: str | None, *, resumed: bool = False,
                 mark: Callable[[], bool] | None = None) -> None:
        self.job_id, self.resumed = job_id, resumed
        self._mark = mark

    def sending(self) -> bool:
        return self._mark() if self._mark is not None else True


class Runner(Protocol):
    """Runs stored jobs by kind (bot.slack.jobs)."""

    @property
    def kinds(self) -> frozenset[str]:
        """The kinds it runs; jobs of other kinds stay in memory."""
        ...

    def run(self, kind: str, payload: Mapping[str, Any], claim: Claim) -> object:
        """Do the job; a Future when its answer is still being delivered."""
        ...

    def busy(self, kind: str, payload: Mapping[str, Any]) -> None:
        """Tell the person we are too busy (the job waited past max_wait_s)."""
        ...


class StoredQueue:
    """Jobs as rows of the shared store, taken under a lease by `threads` CPU workers of
    whichever replica has room; others (closures) go to the in-memory `memory` queue."""

    def __init__(self, name: str, store: Store, runner: Runner, memory: BoundedQueue, *,
                 threads: int, limit: int, max_wait_s: float | None, max_held: int,
                 lease_s: float = LEASE_S, poll_s: float = POLL_S,
                 heartbeat: bool = False) -> None:
        self.name, self.store, self.runner, self.memory = name, store, runner, memory
        self.limit, self.max_wait_s, self.lease_s, self.poll_s = limit, max_wait_s, lease_s, poll_s
        self.prefetch, self.max_held = threads * PREFETCH, max(max_held, threads)
        self._pool = ThreadPoolExecutor(max_workers=threads,
                                        thread_name_prefix=f"errcode-{name}")
        self._cond = threading.Condition()
        self._waiting = 0  # taken, not yet started by a CPU worker
        self._held = 0  # taken, not yet finished
        self._kick = False
        self._closed = False
        self._unfinished: list[TakenJob] = []  # delivered, but the store was down
        self._unstarted: list[TakenJob] = []  # taken, then dropped by a stop: handed back
        self._taken_at: dict[str, float] = {}  # job id -> when its lease was last set
        self._renewed_at = float("-inf")
        self._shed = ShedLog(name)
        self._full_until = float("-inf")
        self._started_at = time.time()
        self.heartbeat = heartbeat  # this queue says the replica is alive
        if heartbeat:
            with contextlib.suppress(StoreError):  # logged; said again at the next beat
                store.alive(lease_s)
        self._taker = threading.Thread(target=self._take_loop, daemon=True,
                                       name=f"errcode-{name}-taker")
        self._taker.start()

    # -- the ack side ----------------------------------------------------------------

    def submit(self, job: Job) -> bool:
        if job.kind not in self.runner.kinds:
            return self.memory.submit(job)
        payload = json.dumps(dict(job.payload), separators=(",", ":"))
        try:
            job_id = self.store.add_job(self.name, job.kind, payload, event_id=job.event_id,
                                        limit=max(self.limit - self.memory.own_pending, 0))
        except StoreError:
            # Answered from memory: lost only if this replica dies before answering.
            log.warning("event=job_not_stored queue=%s kind=%s ref=%s", self.name, job.kind,
                        job.ref)
            return self.memory.submit(job)
        if job_id is None:
            self._full_until = time.monotonic() + SHED_WINDOW_S
            self._shed.count(job, "queue_full")
            return False
        if job_id == DUPLICATE:  # a retry whose event another replica took over
            log.info("event=duplicate_event stage=job queue=%s kind=%s ref=%s", self.name,
                     job.kind, job.ref)
            return True
        log.debug("event=job_stored queue=%s kind=%s job=%s ref=%s", self.name, job.kind,
                  job_id, job.ref)
        self._wake()
        return True

    def full_for(self, kind: str) -> bool:
        """Did the store refuse a job within the last SHED_WINDOW_S? The bound is this
        replica's rows, counted by the store, so "full" is what it said last."""
        return kind in self.runner.kinds and time.monotonic() < self._full_until

    def shed_if_full(self, job: Job) -> bool:
        if self.full_for(job.kind):
            self._shed.count(job, "queue_full")
            return True
        return False

    @property
    def pending(self) -> int:
        """Jobs this replica accepted not yet answered (by any replica), and the memory
        queue's (whose count includes every delivery under way)."""
        try:
            stored = self.store.pending_jobs(self.name, here=True)
        except StoreError:
            stored = 0
        return stored + self.memory.pending

    def close(self) -> None:
        """Stop taking; hand back what was not started; wait briefly for answers leaving."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        self._pool.shutdown(wait=False, cancel_futures=True)  # drops what has not started
        if threading.current_thread() is not self._taker:
            self._taker.join(5)  # a take under way ends, its jobs dropped too
        with self._cond:
            unstarted, self._unstarted = self._unstarted, []
        with contextlib.suppress(StoreError):  # logged by the store; the leases run out
            self.store.release_jobs(unstarted)
            if self.heartbeat:
                self.store.alive(0)  # its unconfirmed events are free for retries at once
        deadline = time.monotonic() + CLOSE_WAIT_S
        with self._cond:
            while self._held > 0 and time.monotonic() < deadline:
                self._cond.wait(0.05)
        self.memory.close()

    # -- the taker: free jobs to the CPU workers, leases renewed ------------------------

    def _wake(self) -> None:
        """A job was stored: the taker looks at once, unless the CPU workers have no room
        (then the kick waits for the next worker to start or finish, which wakes it
        anyway: under load a wake per ack only woke the taker to find no room)."""
        with self._cond:
            self._kick = True
            if self._room() > 0:
                self._cond.notify_all()

    def _room(self) -> int:
        """How many jobs the taker may take now (held under `_cond`)."""
        room = min(self.prefetch - self._waiting, self.max_held - self._held)
        # While the CPU workers still have jobs queued, take in batches.
        return 0 if self._waiting and room * 2 < self.prefetch else room

    def _take_loop(self) -> None:
        renew_at = time.monotonic() + self.lease_s / 3
        probe = True  # after an idle wait, look with a read before taking
        while True:
            with self._cond:
                if self._closed or self.store.closed:
                    return
                room = self._room()
            taken: list[TakenJob] = []
            taking = time.monotonic()
            if room > 0:
                with contextlib.suppress(StoreError):  # logged; tried again at the next poll
                    taken = self.store.take_jobs(self.name, limit=room, lease_s=self.lease_s,
                                                 probe=probe)
            for job in taken:
                self._start(job, taking)
            now = time.monotonic()
            if now >= renew_at:
                self._heartbeat()
                renew_at = now + self.lease_s / 3
            if room > 0 and len(taken) == room:
                probe = False
                continue  # there may be more
            with self._cond:
                if not self._kick and not self._closed:
                    self._cond.wait(max(min(self.poll_s, renew_at - now), 0.01))
                probe, self._kick = not self._kick, False

    def _heartbeat(self) -> None:
        with self._cond:
            held, unfinished = self._held, self._unfinished
            self._unfinished = []
        if self.heartbeat:
            with contextlib.suppress(StoreError):  # logged by the store
                self.store.alive(self.lease_s)
        if not held and not unfinished:
            return
        renewing = time.monotonic()
        with contextlib.suppress(StoreError):  # logged by the store
            self.store.renew_jobs(self.name, self.lease_s)
            self._renewed_at = renewing
        for job in unfinished:
            self._record_done(job)

    def _start(self, job: TakenJob, taken_at: float) -> None:
        with self._cond:
            self._waiting += 1
            self._held += 1
            self._taken_at[job.id] = taken_at
        try:
            future = self._pool.submit(self._run, job)
        except RuntimeError:  # shutting down: the job is handed back or its lease runs out
            self._dropped(job)
            return
        future.add_done_callback(lambda f: self._dropped(job) if f.cancelled() else None)

    def _dropped(self, job: TakenJob) -> None:
        with self._cond:
            self._waiting -= 1
            self._held -= 1
            self._taken_at.pop(job.id, None)
            self._unstarted.append(job)
            self._cond.notify_all()

    # -- a CPU worker: one job --------------------------------------------------------

    def _run(self, job: TakenJob) -> None:
        with self._cond:
            self._waiting -= 1
            self._kick = True
            self._cond.notify_all()
        outcome: object = None
        try:
            payload = json.loads(job.payload)
            age = time.time() - job.created_at
            if job.attempts > MAX_ATTEMPTS or age > MAX_AGE_S:
                log.warning("event=job_abandoned queue=%s kind=%s job=%s attempts=%d age_s=%.0f",
                            self.name, job.kind, job.id, job.attempts, age)
            elif self._late(job, age):
                self._shed.count(Job(run=_nothing, kind=job.kind, ref=job.id),
                                 "waited_too_long")
                guard(lambda: self.runner.busy(job.kind, payload))
            else:
                if job.attempts > 1:
                    log.info("event=job_resumed queue=%s kind=%s job=%s attempts=%d "
                             "sending=%s", self.name, job.kind, job.id, job.attempts,
                             job.sending)
                claim = Claim(job.id, resumed=job.attempts > 1,
                              mark=lambda: self._sending(job))
                outcome = guard(lambda: self.runner.run(job.kind, payload, claim))
        except Exception:
            log.exception("event=job_failed queue=%s kind=%s job=%s", self.name, job.kind,
                          job.id)
        if isinstance(outcome, Future):
            outcome.add_done_callback(lambda _: self._finish(job))
        else:
            self._finish(job)

    def _late(self, job: TakenJob, age: float) -> bool:
        """Shed only a first take of a job acked while this replica ran: one resumed after
        a replica died, or after a restart, is answered however late (within MAX_AGE_S)."""
        return (self.max_wait_s is not None and job.attempts == 1
                and job.created_at >= self._started_at and age > self.max_wait_s)

    def _sending(self, job: TakenJob) -> bool:
        """Is the claim still ours? Surely while its lease is fresh (taken or renewed less
        than half a lease ago: no other replica may take it before it expires); past
        that, the store says (and records that the answer is leaving)."""
        with self._cond:
            leased_at = max(self._taken_at.get(job.id, float("-inf")), self._renewed_at)
        if time.monotonic() - leased_at < self.lease_s / 2:
            return True
        try:
            ours = self.store.mark_job_sending(job.id, job.token)
        except StoreError:  # logged by the store
            # Running, answering beats a silent drop; stopped, the job was handed back.
            return not self._closed
        if not ours:
            log.warning("event=job_claim_lost stage=sending queue=%s job=%s", self.name, job.id)
        return ours

    def _finish(self, job: TakenJob) -> None:
        self._record_done(job)
        with self._cond:
            self._full_until = float("-inf")  # a row is done: "full" no longer stands
            self._held -= 1
            self._taken_at.pop(job.id, None)
            self._kick = True
            self._cond.notify_all()

    def _record_done(self, job: TakenJob) -> None:
        try:
            if not self.store.finish_job(job.id, job.token):
                log.warning("event=job_claim_lost stage=done queue=%s job=%s", self.name,
                            job.id)
        except StoreError:
            with self._cond:  # retried by the heartbeat, which keeps the lease meanwhile
                if not self._closed:
                    self._unfinished.append(job)


def _nothing() -> None:
    return None

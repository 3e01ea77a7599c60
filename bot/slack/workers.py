"""Where listeners send their work once they have acked: a bounded queue, CPU workers, and
deliveries to Slack apart from them.

An answer is a short CPU step (triage, rendering: ~1.5 ms under one GIL) and a long wait on
Slack (the post: ~100 ms). So they run apart: `cpu_workers` threads take jobs and compute;
what a job sends to Slack (`respond()`, `bot.slack.posting.post`) is handed to the
`deliveries` pool and the CPU worker moves on. Waiting on Slack never holds a CPU worker,
and few threads compete with the acks for the GIL.

The queue is bounded (`JobQueue.submit` -> accepted or shed), counting answers waiting,
computing or being delivered: past the bound, or for a job that waited longer than
`max_wait_s`, the person is told "busy, try again" at once instead of getting an answer
minutes late. `BoundedQueue` is in memory; once the app has its store, `Workers.attach`
puts `bot.slack.stored_queue.StoredQueue` in front of it behind the same `submit`: jobs
of a stored kind become rows of the shared store before the ack (taken under a lease by
any replica, run by `kind` from their `payload`); closures still run from memory.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from slack_sdk.errors import SlackApiError

from bot import metrics

if TYPE_CHECKING:
    from bot.slack.stored_queue import Runner
    from bot.store import Store

log = logging.getLogger("errcode.slack")

T = TypeVar("T")

BUSY = "I'm busy answering others right now; please try again in a moment."
CPU_WORKERS = 2  # computing at once: a little more than the one core the GIL allows
ANSWER_THREADS_PER_CHILD = 24  # with compute children (bot.compute): see bot.slack.run
DELIVERY_THREADS = 32  # posts waiting on Slack side by side (~10/s each at 100 ms)
ANSWER_QUEUE = 200  # answers waiting, computing or being delivered: ~1 s of work
SLOW_QUEUE = 64  # health checks and escalations waiting or running
MAX_WAIT_S = 10.0  # an answer later than this is worth less than "try again"
NOTE_THREADS = 4  # busy notes: short posts, apart from the answers they stand in for
NOTE_QUEUE = 1000


@dataclass(frozen=True)
class Job:
    """Work accepted at the ack. `busy` tells the person when the job is dropped after all
    (it waited past `max_wait_s`); `kind`, `ref` and `payload` name it in logs. A job
    whose kind the stored queue knows is kept as (kind, payload) in the store, and `run`
    is only its fallback when the store cannot take it."""

    run: Callable[[], object]
    busy: Callable[[], object] | None = None
    kind: str = "answer"
    ref: str = "-"
    payload: Mapping[str, Any] = field(default_factory=dict)
    queued_at: float = field(default_factory=time.monotonic)
    event_id: str | None = None  # the Slack event it answers: confirmed with the stored job


class JobQueue(Protocol):
    """Where accepted work waits; `submit` never blocks the ack."""

    def submit(self, job: Job) -> bool:
        """True: the job will run (or be told busy); False: shed, nothing will run."""
        ...

    @property
    def pending(self) -> int:
        """Jobs accepted and not yet done (delivered, for answers)."""
        ...

    def shed_if_full(self, job: Job) -> bool:
        """True, and `job` counted as shed, when the queue was full a moment ago: the
        caller says "busy" at once, without preparing the job to submit it."""
        ...

    def full_for(self, kind: str) -> bool:
        """Would `shed_if_full` shed a job of `kind` now (nothing counted)?"""
        ...

    def close(self) -> None: ...


class BoundedQueue:
    """In memory: at most `limit` jobs accepted and not done, run by `threads` threads.
    `also_pending` counts work the jobs left behind (deliveries) against the same bound."""

    def __init__(self, name: str, *, threads: int, limit: int, max_wait_s: float | None = None,
                 also_pending: Callable[[], int] | None = None) -> None:
        self.name, self.limit, self.max_wait_s = name, limit, max_wait_s
        self._also = also_pending
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"errcode-{name}")
        self._lock = threading.Lock()
        self._pending = 0
        self._shed = ShedLog(name)

    @property
    def pending(self) -> int:
        return self._pending + self._others()

    @property
    def own_pending(self) -> int:
        """Its own jobs waiting or running, without the work they left behind."""
        return self._pending

    def _others(self) -> int:
        """The work its jobs left behind elsewhere (deliveries), counted against the bound."""
        return self._also() if self._also else 0

    def full(self) -> bool:
        return self._pending + self._others() >= self.limit

    def full_for(self, kind: str) -> bool:
        return self.full()

    def shed_if_full(self, job: Job) -> bool:
        if not self.full():
            return False
        self._shed.count(job, "queue_full")
        return True

    def submit(self, job: Job) -> bool:
        also = self._others()  # read before the lock: it takes another queue's
        with self._lock:
            accepted = self._pending + also < self.limit
            if accepted:
                self._pending += 1
        if not accepted:
            self._shed.count(job, "queue_full")
            return False
        try:
            self._pool.submit(self._run, job)
        except RuntimeError:  # shutting down
            self._done()
            return False
        return True

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)

    def _run(self, job: Job) -> None:
        try:
            if self.max_wait_s is not None and time.monotonic() - job.queued_at > self.max_wait_s:
                self._shed.count(job, "waited_too_long")
                if job.busy is not None:
                    guard(job.busy)
                return
            guard(job.run)
        finally:
            self._done()

    def _done(self) -> None:
        with self._lock:
            self._pending -= 1


class Deliveries:
    """Sends to Slack, off the CPU workers: each waits on Slack in a thread of its own."""

    def __init__(self, threads: int = DELIVERY_THREADS) -> None:
        self._pool = ThreadPoolExecutor(max_workers=threads,
                                        thread_name_prefix="errcode-deliver")
        self._lock = threading.Lock()
        self.pending = 0

    def send(self, deliver: Callable[[], T], after: Future | None = None) -> Future[T]:
        """Run `deliver` in the delivery pool (after `after`, to keep one reply's posts in
        order); its failure is logged and kept in the Future."""
        with self._lock:
            self.pending += 1

        def run() -> T:
            try:
                if after is not None:
                    after.exception()  # wait for it; its failure is not ours
                return deliver()
            except SlackApiError as err:
                log.warning("event=slack_api_error error=%s", err.response.get("error"))
                raise
            except Exception:
                log.exception("event=delivery_failed ref=%s", uuid.uuid4().hex[:8])
                raise
            finally:
                with self._lock:
                    self.pending -= 1

        try:
            return self._pool.submit(run)
        except RuntimeError:  # shutting down
            with self._lock:
                self.pending -= 1
            failed: Future[T] = Future()
            failed.set_exception(RuntimeError("shutting down"))
            return failed

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


class Workers:
    """The queues behind every listener: `answers` (CPU workers, quick), `slow` (health
    checks and escalations, which wait on the network longer), `notes` (busy notes), and
    the `deliveries` of answers to Slack."""

    def __init__(self, slow_threads: int, *, cpu_workers: int = CPU_WORKERS,
                 delivery_threads: int = DELIVERY_THREADS, answer_queue: int = ANSWER_QUEUE,
                 slow_queue: int = SLOW_QUEUE, max_wait_s: float = MAX_WAIT_S,
                 lease_s: float | None = None, poll_s: float | None = None) -> None:
        self.deliveries = Deliveries(delivery_threads)
        self._sizes = {"answer": (cpu_workers, answer_queue, max_wait_s),
                       "slow": (slow_threads, slow_queue, max_wait_s * 3)}
        self._lease = {k: v for k, v in (("lease_s", lease_s), ("poll_s", poll_s)) if v}
        self._delivery_threads = delivery_threads
        self.memory = {"answer": BoundedQueue(
            "answer", threads=cpu_workers, limit=answer_queue, max_wait_s=max_wait_s,
            also_pending=lambda: self.deliveries.pending),
            "slow": BoundedQueue("slow", threads=slow_threads, limit=slow_queue,
                                 max_wait_s=max_wait_s * 3)}
        self.answers: JobQueue = self.memory["answer"]
        self.slow: JobQueue = self.memory["slow"]
        self.notes: JobQueue = BoundedQueue("note", threads=NOTE_THREADS, limit=NOTE_QUEUE)
        self.runner: Runner | None = None
        metrics.watch_queue_depth("answer", lambda: self.answers.pending)
        metrics.watch_queue_depth("slow", lambda: self.slow.pending)

    def attach(self, store: Store, runner: Runner) -> None:
        """Keep jobs of the runner's kinds in `store` from now on (bot.slack.stored_queue):
        this replica's workers take them, and any other replica's on the same store."""
        from bot.slack.stored_queue import StoredQueue

        queues = {}
        for name, (threads, limit, max_wait_s) in self._sizes.items():
            queues[name] = StoredQueue(name, store, runner, self.memory[name], threads=threads,
                                       limit=limit, max_wait_s=max_wait_s,
                                       max_held=threads + self._delivery_threads,
                                       heartbeat=name == "answer", **self._lease)
        self.answers, self.slow = queues["answer"], queues["slow"]
        self.runner = runner

    def submit(self, job: Job, *, slow: bool = False) -> bool:
        """Queue `job` after the ack; False when it was shed (the caller says "busy")."""
        return (self.slow if slow else self.answers).submit(job)

    def shed_at_once(self, kind: str, ref: str, *, slow: bool = False) -> bool:
        """True (counted as shed) when the queue was full a moment ago: the caller says
        "busy" without preparing the job. Under overload most acks are shed, and
        redacting and storing a question only for the store to refuse it was a quarter
        of an ack's CPU (docs/benchmarks.md, "Answer path under load")."""
        queue = self.slow if slow else self.answers
        return queue.shed_if_full(Job(run=_nothing, kind=kind, ref=ref))

    def full_for(self, kind: str, *, slow: bool = False) -> bool:
        """Would `shed_at_once` shed a job of `kind` now? Nothing is counted."""
        return (self.slow if slow else self.answers).full_for(kind)

    def note(self, send: Callable[[], object]) -> None:
        """Send a short note (busy) off the answer path; dropped, with a log line, if even
        the notes are backed up."""
        self.notes.submit(Job(run=send, kind="note"))

    def close(self) -> None:
        for queue in (self.answers, self.slow, self.notes, self.deliveries):
            queue.close()


class ShedLog:
    """One log line per second at most while shedding, with the count: under overload a
    line per request would itself be load."""

    def __init__(self, queue: str) -> None:
        self.queue = queue
        self._lock = threading.Lock()
        self._since = 0
        self._last = 0.0

    def count(self, job: Job, reason: str) -> None:
        metrics.shed(self.queue, reason)
        now = time.monotonic()
        with self._lock:
            self._since += 1
            if now - self._last < 1.0:
                return
            shed, self._since, self._last = self._since, 0, now
        log.warning("event=shed queue=%s reason=%s kind=%s ref=%s shed_since_last=%d",
                    self.queue, reason, job.kind, job.ref, shed)


def _nothing() -> None:
    return None


def guard(work: Callable[[], object]) -> object:
    """Run `work`; a failure is logged with a reference, never raised into the pool."""
    try:
        return work()
    except SlackApiError as err:
        log.warning("event=slack_api_error error=%s", err.response.get("error"))
    except Exception:
        log.exception("event=listener_failed ref=%s", uuid.uuid4().hex[:8])
    return None

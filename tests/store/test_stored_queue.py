"""The stored answer queue (bot.slack.stored_queue) on each database: jobs acked before a
stop or a crash are answered after it, once, and a stopped worker sends nothing."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest

from bot.slack.stored_queue import MAX_ATTEMPTS, Claim, StoredQueue
from bot.slack.workers import BoundedQueue, Job
from bot.store import Store

OpenStore = Callable[..., Store]
LEASE_S = 0.6


class Recorder:
    """A runner that records what it answered (after `claim.sending()`), optionally held
    at `gate` first, as a worker waiting on Slack is."""

    kinds = frozenset({"echo"})

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        self.answered: list[tuple[int, bool]] = []  # (n, resumed)
        self.busy_for: list[int] = []
        self.started = threading.Semaphore(0)

    def run(self, kind: str, payload: Mapping[str, Any], claim: Claim) -> object:
        self.started.release()
        if self.gate is not None:
            self.gate.wait(10)
        if claim.sending():
            self.answered.append((payload["n"], claim.resumed))
        return None

    def busy(self, kind: str, payload: Mapping[str, Any]) -> None:
        self.busy_for.append(payload["n"])


@pytest.fixture
def queues() -> Iterator[Callable[..., StoredQueue]]:
    made: list[StoredQueue] = []

    def make(store: Store, runner: Recorder, **kw: Any) -> StoredQueue:
        memory = BoundedQueue("answer", threads=1, limit=50)
        queue = StoredQueue("answer", store, runner, memory, threads=kw.pop("threads", 1),
                            limit=kw.pop("limit", 50), max_wait_s=kw.pop("max_wait_s", None),
                            max_held=kw.pop("max_held", 4), lease_s=LEASE_S, poll_s=0.05,
                            heartbeat=True)
        made.append(queue)
        return queue

    yield make
    for queue in made:
        queue.close()


def echo(n: int) -> Job:
    return Job(run=lambda: None, kind="echo", payload={"n": n}, ref=f"r{n}")


def until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_jobs_are_answered_once_each(store: Store, queues: Callable[..., StoredQueue]) -> None:
    runner = Recorder()
    queue = queues(store, runner, threads=2)
    assert all(queue.submit(echo(n)) for n in range(20))
    until(lambda: len(runner.answered) == 20 and queue.pending == 0)
    assert sorted(n for n, _ in runner.answered) == list(range(20))


def test_jobs_acked_before_a_stop_are_answered_after_the_restart_and_only_then(
        store: Store, open_store: OpenStore, queues: Callable[..., StoredQueue]) -> None:
    gate = threading.Event()
    before = Recorder(gate)
    first = queues(store, before)
    for n in range(3):
        assert first.submit(echo(n))
    assert before.started.acquire(timeout=5)  # one is running, waiting on "Slack"
    first.close()  # hands back the two not started; the running one keeps its claim
    after = Recorder()
    queues(open_store(), after)
    until(lambda: len(after.answered) == 3)  # that one once its lease ran out
    gate.set()  # the old worker wakes: its claim is gone, it sends nothing
    time.sleep(0.2)
    assert before.answered == [] and sorted(after.answered) == [(0, True), (1, False),
                                                                (2, False)]
    assert store.pending_jobs() == 0


def test_a_dead_replicas_jobs_are_taken_over_once_its_lease_runs_out(
        store: Store, open_store: OpenStore, queues: Callable[..., StoredQueue]) -> None:
    for n in range(3):
        store.add_job("answer", "echo", f'{{"n": {n}}}')
    taken = store.take_jobs("answer", limit=2, lease_s=LEASE_S)  # then it "dies"
    assert store.mark_job_sending(taken[0].id, taken[0].token)
    runner = Recorder()
    started = time.monotonic()
    queues(open_store(), runner)
    until(lambda: len(runner.answered) >= 1)  # the one never taken: at once
    assert time.monotonic() - started < LEASE_S
    until(lambda: len(runner.answered) == 3)
    assert time.monotonic() - started < LEASE_S + 1.0
    # Those it had taken come back marked: the runner looks for an earlier answer first.
    assert sorted(runner.answered) == [(0, True), (1, True), (2, False)]


def test_only_a_first_take_is_ever_too_late(store: Store, open_store: OpenStore,
                                            queues: Callable[..., StoredQueue]) -> None:
    store.add_job("answer", "echo", '{"n": 0}')  # acked before this replica started
    time.sleep(0.05)
    runner = Recorder()
    queue = queues(open_store(), runner, max_wait_s=0.0)  # every new job is late
    until(lambda: runner.answered == [(0, False)])
    assert queue.submit(echo(1))
    until(lambda: runner.busy_for == [1])
    until(lambda: queue.pending == 0)
    assert runner.answered == [(0, False)]


def test_past_its_bound_a_replica_sheds_what_it_acks(store: Store,
                                                     queues: Callable[..., StoredQueue]) -> None:
    gate = threading.Event()
    queue = queues(store, Recorder(gate), limit=2)
    assert queue.submit(echo(0)) and queue.submit(echo(1))
    assert queue.submit(echo(2)) is False
    gate.set()
    until(lambda: queue.pending == 0)
    assert queue.submit(echo(3))


def test_a_job_that_keeps_killing_its_workers_is_given_up(
        store: Store, queues: Callable[..., StoredQueue]) -> None:
    store.add_job("answer", "echo", '{"n": 0}')
    for _ in range(MAX_ATTEMPTS):
        assert store.take_jobs("answer", limit=1, lease_s=0.001)
        time.sleep(0.01)
    runner = Recorder()
    queues(store, runner)
    until(lambda: store.pending_jobs() == 0)
    assert runner.answered == []


def test_when_the_store_cannot_record_a_job_it_runs_from_memory(
        store: Store, queues: Callable[..., StoredQueue]) -> None:
    queue = queues(store, Recorder())
    ran = threading.Event()
    store.close()
    assert queue.submit(Job(run=ran.set, kind="echo", payload={"n": 0}))
    assert ran.wait(5)

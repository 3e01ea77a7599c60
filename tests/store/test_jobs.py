"""Acknowledged work kept until answered: taken under a lease, retaken once it expires,
marked sending and done only by the claim that holds it (each test on both databases)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable

from bot.store import JOB_PURGE_S, Store
from bot.store.jobs import DUPLICATE
from tests.store.test_store import rows
from tests.store.workers import add_jobs, in_processes, take_all_jobs

OpenStore = Callable[..., Store]
PAYLOAD = '{"text": "RATE_LIMITED", "response_url": "https://hooks.slack.com/x"}'


def test_a_job_is_taken_once_until_its_lease_expires(store: Store) -> None:
    job_id = store.add_job("answer", "slash", PAYLOAD, now=100.0)
    assert job_id
    [taken] = store.take_jobs("answer", limit=5, lease_s=10, now=101.0)
    assert (taken.id, taken.kind, taken.payload, taken.attempts, taken.sending) == (
        job_id, "slash", PAYLOAD, 1, False)
    assert taken.accepted_by == store.holder
    assert store.take_jobs("answer", limit=5, lease_s=10, now=110.0) == []
    assert store.take_jobs("slow", limit=5, lease_s=10, now=200.0) == []  # another queue


def test_an_expired_claim_is_taken_over_and_the_old_token_is_refused(
        store: Store, open_store: OpenStore) -> None:
    other = open_store()
    store.add_job("answer", "thread", PAYLOAD, now=100.0)
    [first] = store.take_jobs("answer", limit=1, lease_s=10, now=100.0)
    [second] = other.take_jobs("answer", limit=1, lease_s=10, now=111.0)
    assert second.id == first.id and second.token != first.token and second.attempts == 2
    assert store.mark_job_sending(first.id, first.token) is False
    assert store.finish_job(first.id, first.token) is False
    assert other.mark_job_sending(second.id, second.token)
    assert other.finish_job(second.id, second.token)
    assert store.pending_jobs() == 0


def test_a_retaken_job_says_an_earlier_claim_had_started_sending(
        store: Store, open_store: OpenStore) -> None:
    store.add_job("answer", "thread", PAYLOAD, now=100.0)
    [first] = store.take_jobs("answer", limit=1, lease_s=10, now=100.0)
    assert store.mark_job_sending(first.id, first.token)
    [again] = open_store().take_jobs("answer", limit=1, lease_s=10, now=120.0)
    assert again.sending is True


def test_renewed_leases_keep_a_live_holders_jobs(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    store.add_job("answer", "slash", PAYLOAD, now=100.0)
    store.take_jobs("answer", limit=1, lease_s=10, now=100.0)
    assert store.renew_jobs("answer", 10, now=108.0) == 1
    assert other.take_jobs("answer", limit=1, lease_s=10, now=115.0) == []
    assert other.renew_jobs("answer", 10, now=115.0) == 0  # it holds none


def test_oldest_jobs_are_taken_first_and_no_more_than_asked(store: Store) -> None:
    ids = [store.add_job("answer", "slash", PAYLOAD, now=100.0 + n) for n in range(5)]
    taken = store.take_jobs("answer", limit=3, lease_s=10, now=200.0)
    assert [j.id for j in taken] == ids[:3]


def test_the_bound_counts_the_jobs_this_replica_accepted(store: Store,
                                                        open_store: OpenStore) -> None:
    other = open_store()
    assert store.add_job("answer", "slash", PAYLOAD, limit=2)
    assert store.add_job("answer", "slash", PAYLOAD, limit=2)
    assert store.add_job("answer", "slash", PAYLOAD, limit=2) is None  # shed
    assert store.add_job("slow", "slash", PAYLOAD, limit=2)  # its own bound
    assert other.add_job("answer", "slash", PAYLOAD, limit=2)  # another replica's acks
    assert store.pending_jobs("answer", here=True) == 2
    assert store.pending_jobs() == 4


def test_a_stopping_replica_hands_back_what_it_has_not_started(
        store: Store, open_store: OpenStore) -> None:
    store.add_job("answer", "slash", PAYLOAD, now=100.0)
    store.add_job("answer", "slash", PAYLOAD, now=101.0)
    first, second = store.take_jobs("answer", limit=2, lease_s=60, now=102.0)
    store.mark_job_sending(second.id, second.token)
    assert store.release_jobs([first, second]) == 1  # not the one being sent
    [free] = open_store().take_jobs("answer", limit=5, lease_s=60, now=103.0)
    assert free.id == first.id  # at once
    assert store.mark_job_sending(first.id, first.token) is False  # the old claim is gone


def test_finished_jobs_leave_no_payload_behind(store: Store) -> None:
    store.add_job("answer", "slash", PAYLOAD, now=100.0)
    [job] = store.take_jobs("answer", limit=1, lease_s=10, now=100.0)
    assert store.finish_job(job.id, job.token)
    assert rows(store, "SELECT COUNT(*) FROM jobs") == [(0,)]


def test_abandoned_jobs_are_purged_with_their_payload(store: Store) -> None:
    store.add_job("answer", "slash", PAYLOAD, now=100.0)
    store.add_job("answer", "slash", PAYLOAD, now=100.0 + JOB_PURGE_S)
    store.purge_expired(now=101.0 + JOB_PURGE_S)
    assert rows(store, "SELECT created_at FROM jobs") == [(100.0 + JOB_PURGE_S,)]


def test_processes_taking_together_take_each_job_exactly_once(store: Store,
                                                             store_url: str) -> None:
    in_processes(1, add_jobs, store_url, 120)
    taken = in_processes(4, take_all_jobs, store_url)
    counts = Counter(job_id for per_process in taken for job_id in per_process)
    assert len(counts) == 120 and set(counts.values()) == {1}


# -- seen events: confirmed with their job; a dead replica's unconfirmed mark is retaken --


def test_a_live_replicas_mark_is_final(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    store.alive(60)
    assert store.mark_event_seen("Ev1")
    assert other.mark_event_seen("Ev1") is False  # still storing its job, or never will


def test_a_dead_replicas_unconfirmed_mark_is_taken_by_the_retry(
        store: Store, open_store: OpenStore) -> None:
    other = open_store()
    store.alive(60)
    assert store.mark_event_seen("Ev1")
    store.alive(0)  # died before storing the job
    assert other.mark_event_seen("Ev1")
    assert other.add_job("answer", "thread", PAYLOAD, event_id="Ev1") not in (None, DUPLICATE)
    # Not dead after all (paused): its late job is refused, the event has its answer.
    assert store.add_job("answer", "thread", PAYLOAD, event_id="Ev1") == DUPLICATE
    assert store.pending_jobs() == 1


def test_a_confirmed_mark_stays_final_when_its_replica_dies(
        store: Store, open_store: OpenStore) -> None:
    store.alive(60)
    assert store.mark_event_seen("Ev1")
    assert store.add_job("answer", "thread", PAYLOAD, event_id="Ev1")
    store.alive(0)
    assert open_store().mark_event_seen("Ev1") is False


def test_a_mark_by_a_store_without_heartbeat_is_final(store: Store,
                                                      open_store: OpenStore) -> None:
    assert store.mark_event_seen("Ev1")  # no workers, no heartbeat: never judged dead
    assert open_store().mark_event_seen("Ev1") is False
    assert store.add_job("answer", "thread", PAYLOAD, event_id="Ev1")
    assert store.add_job("answer", "thread", PAYLOAD, event_id="Ev1") == DUPLICATE

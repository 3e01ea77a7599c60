"""Leases: one holder at a time, taken over after expiry; the TTL clean-up runs under one."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from bot.store import CLEANUP_LEASE, Store
from tests.store.test_store import rows, run_in_threads

OpenStore = Callable[..., Store]


def test_a_free_lease_is_taken_and_then_refused_to_others(store: Store) -> None:
    assert store.acquire_lease("health-watch", "replica-a", 10, now=100.0)
    assert store.acquire_lease("health-watch", "replica-b", 10, now=105.0) is False
    assert store.lease_holder("health-watch", now=105.0) == "replica-a"


def test_the_holder_extends_its_lease_by_acquiring_or_renewing(store: Store) -> None:
    assert store.acquire_lease("job", "a", 10, now=100.0)
    assert store.acquire_lease("job", "a", 10, now=108.0)  # now held until 118
    assert store.acquire_lease("job", "b", 10, now=115.0) is False
    assert store.renew_lease("job", "a", 10, now=117.0)  # now held until 127
    assert store.acquire_lease("job", "b", 10, now=126.0) is False


def test_lease_is_taken_over_after_expiry(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    assert store.acquire_lease("job", "a", 10, now=100.0)
    assert other.acquire_lease("job", "b", 10, now=110.0)  # expired at 110: b takes it
    assert store.renew_lease("job", "a", 10, now=111.0) is False  # a has lost it
    assert store.lease_holder("job", now=111.0) == "b"
    assert store.release_lease("job", "a") is False  # only the holder can release


def test_lease_is_taken_over_in_real_time(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    assert store.acquire_lease("job", "a", 0.3)
    assert other.acquire_lease("job", "b", 0.3) is False
    time.sleep(0.35)
    assert other.acquire_lease("job", "b", 5)
    assert store.renew_lease("job", "a", 5) is False


def test_an_expired_lease_cannot_be_renewed(store: Store) -> None:
    assert store.acquire_lease("job", "a", 10, now=100.0)
    assert store.renew_lease("job", "a", 10, now=110.0) is False
    assert store.acquire_lease("job", "a", 10, now=110.0)  # free again: acquire it


def test_released_lease_is_free_at_once(store: Store) -> None:
    assert store.acquire_lease("job", "a", 60, now=100.0)
    assert store.release_lease("job", "a")
    assert store.lease_holder("job", now=100.0) is None
    assert store.acquire_lease("job", "b", 60, now=100.0)


def test_concurrent_acquires_one_winner(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    results = run_in_threads(16, lambda i: (store if i % 2 else other).acquire_lease(
        "job", f"replica-{i}", 30))
    assert results.count(True) == 1


def test_bad_lease_arguments_are_rejected(store: Store) -> None:
    for name, holder, ttl in (("", "a", 1), ("job", "", 1), ("job", "a", 0)):
        with pytest.raises(ValueError):
            store.acquire_lease(name, holder, ttl)


def test_cleanup_runs_under_the_lease_of_one_replica(store: Store,
                                                     open_store: OpenStore) -> None:
    other = open_store()
    store.mark_event_seen("Ev-old", now=1000.0, ttl_s=10)  # store cleans up at 1000
    # other's first write at 2000 finds the clean-up lease expired (60 s) and takes it.
    other.mark_event_seen("Ev-new", now=2000.0, ttl_s=10)
    assert rows(store, "SELECT id FROM seen_events") == [("Ev-new",)]
    assert store.lease_holder(CLEANUP_LEASE, now=2000.0) == other.holder
    # Within the lease, store's writes leave clean-up to other.
    store.mark_event_seen("Ev-later", now=2030.0, ttl_s=1)
    store.mark_event_seen("Ev-probe", now=2040.0, ttl_s=1)
    assert ("Ev-later",) in rows(store, "SELECT id FROM seen_events")
    assert store.purge_expired(now=2050.0) >= 2

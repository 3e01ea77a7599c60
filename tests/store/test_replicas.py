"""Several processes on one database, as replicas are: exactly one winner, unique numbers,
migrations run once (each test on SQLite and PostgreSQL)."""

from __future__ import annotations

from collections import Counter

from bot.store import LATEST, Store
from tests.store.workers import in_processes, mark_events, open_migrating, save_packets, take_lease

PROCESSES = 4


def test_each_event_has_exactly_one_winner_across_processes(store: Store,
                                                            store_url: str) -> None:
    ids = [f"Ev{n:03d}" for n in range(60)]
    won = in_processes(PROCESSES, mark_events, store_url, ids)
    counts = Counter(event_id for per_process in won for event_id in per_process)
    assert sorted(counts) == ids and set(counts.values()) == {1}


def test_packet_numbers_never_collide_across_processes(store: Store, store_url: str) -> None:
    saved = in_processes(PROCESSES, save_packets, store_url, 8)
    ids = [packet_id for per_process in saved for packet_id in per_process]
    assert sorted(ids) == [f"ESC-{n:04d}" for n in range(1, PROCESSES * 8 + 1)]


def test_replicas_starting_together_migrate_once(store_url: str) -> None:
    # No store fixture: the database is empty until the processes open it.
    versions = in_processes(PROCESSES, open_migrating, store_url)
    assert versions == [LATEST] * PROCESSES
    with Store(store_url) as store, store._backend.transaction(write=False) as tx:
        assert tx.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == 1


def test_one_process_wins_a_lease(store: Store, store_url: str) -> None:
    assert in_processes(PROCESSES, take_lease, store_url).count(True) == 1

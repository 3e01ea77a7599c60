"""The store's behaviour, the same on SQLite and PostgreSQL (see conftest: one run each)."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from typing import TypeVar

import pytest

from bot.store import LATEST, QUERY_TTL_S, PacketRecord, Store, StoreError, unmatched_key

T = TypeVar("T")
THREAD = "C0CHAN123:1714478400.000100"
OpenStore = Callable[..., Store]


def run_in_threads(n: int, fn: Callable[[int], T]) -> list[T]:
    """Start n threads together (barrier) and collect fn(i) results; re-raise any error."""
    barrier = threading.Barrier(n)
    results: list[T | None] = [None] * n
    errors: list[BaseException] = []

    def work(i: int) -> None:
        barrier.wait()
        try:
            results[i] = fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


def rows(store: Store, sql: str) -> list[tuple]:
    with store._backend.transaction(write=False) as tx:
        return [tuple(r) for r in tx.execute(sql).fetchall()]


# -- opening, schema, errors ------------------------------------------------------------


def test_new_database_is_migrated_to_the_latest_version(store: Store) -> None:
    assert store.schema_version() == LATEST
    assert rows(store, "SELECT version FROM schema_version") == [(LATEST,)]


def test_reopen_does_not_rerun_migrations(store: Store, open_store: OpenStore) -> None:
    open_store().close()  # a second run of the migrations would fail on CREATE TABLE
    assert rows(store, "SELECT version FROM schema_version") == [(LATEST,)]


def test_newer_schema_version_raises_store_error(store: Store, open_store: OpenStore) -> None:
    with store._backend.transaction() as tx:
        tx.execute("UPDATE schema_version SET version = 999")
    with pytest.raises(StoreError, match="upgrade errcode"):
        open_store()


def test_migrate_false_leaves_an_empty_database_alone(open_store: OpenStore) -> None:
    bare = open_store(migrate=False, create=True)
    assert bare.schema_version() == 0
    assert bare.migrate() == (0, LATEST)
    assert bare.migrate() == (LATEST, LATEST)


def test_closed_store_raises_store_error(store: Store) -> None:
    store.close()
    store.close()  # idempotent
    with pytest.raises(StoreError):
        store.mark_event_seen("Ev1")


def test_results_are_frozen(store: Store) -> None:
    query = store.get_query(store.save_query("boom"))
    assert query is not None
    with pytest.raises(dataclasses.FrozenInstanceError):
        query.text = "changed"  # type: ignore[misc]


# -- seen events ------------------------------------------------------------------------


def test_event_seen_twice_is_not_new(store: Store) -> None:
    assert store.mark_event_seen("Ev0A1B2C3D") is True
    assert store.mark_event_seen("Ev0A1B2C3D") is False
    assert store.mark_event_seen("Ev0OTHER") is True


def test_seen_events_survive_reopen(store: Store, open_store: OpenStore) -> None:
    assert store.mark_event_seen("Ev0A1B2C3D")
    store.close()
    assert open_store().mark_event_seen("Ev0A1B2C3D") is False


def test_seen_event_expires_after_ttl(store: Store) -> None:
    assert store.mark_event_seen("Ev1", now=1000.0, ttl_s=60)
    assert store.mark_event_seen("Ev1", now=1059.0, ttl_s=60) is False
    assert store.mark_event_seen("Ev1", now=1060.0, ttl_s=60) is True


def test_expired_events_are_pruned(store: Store) -> None:
    for i in range(5):
        store.mark_event_seen(f"Ev{i}", now=1000.0, ttl_s=10)
    store.mark_event_seen("EvLate", now=2000.0, ttl_s=10)
    assert rows(store, "SELECT id FROM seen_events") == [("EvLate",)]


def test_concurrent_marks_one_winner(store: Store) -> None:
    results = run_in_threads(20, lambda i: store.mark_event_seen("Ev0RETRY"))
    assert results.count(True) == 1


def test_concurrent_marks_across_two_stores_one_winner(store: Store,
                                                       open_store: OpenStore) -> None:
    other = open_store()
    results = run_in_threads(
        20, lambda i: (store if i % 2 else other).mark_event_seen(f"Ev{i // 4}"))
    # Five distinct ids, four attempts each, from two replicas: one winner per id.
    assert results.count(True) == 5


def test_empty_event_id_or_bad_ttl_is_rejected(store: Store) -> None:
    with pytest.raises(ValueError):
        store.mark_event_seen("")
    with pytest.raises(ValueError):
        store.mark_event_seen("Ev1", ttl_s=0)


# -- claims -----------------------------------------------------------------------------


def test_claim_is_exclusive_until_released(store: Store) -> None:
    assert store.claim("escalate:C0CHAN123:1714478400.000100")
    assert store.claim("escalate:C0CHAN123:1714478400.000100") is False
    store.release("escalate:C0CHAN123:1714478400.000100")
    assert store.claim("escalate:C0CHAN123:1714478400.000100")


def test_claim_expires_after_ttl(store: Store) -> None:
    assert store.claim("k", now=100.0, ttl_s=30)
    assert store.claim("k", now=129.0) is False
    assert store.claim("k", now=130.0)


def test_claims_and_events_are_separate_namespaces(store: Store) -> None:
    assert store.mark_event_seen("same-key")
    assert store.claim("same-key")


def test_concurrent_claims_one_winner(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    results = run_in_threads(20, lambda i: (store if i % 2 else other).claim("escalate:x"))
    assert results.count(True) == 1


# -- saved queries ----------------------------------------------------------------------


def test_saved_query_round_trips(store: Store) -> None:
    query_id = store.save_query("MV-1042 vault sealed", product="mazevault",
                                channel="C0CHAN123", user="U024BE7LH", now=5000.0)
    assert query_id.startswith("q_") and len(query_id) == 14
    assert all(c.isalnum() or c in "-_" for c in query_id)
    query = store.get_query(query_id, now=5001.0)
    assert query is not None
    assert (query.id, query.text, query.product, query.channel, query.user, query.created_at) == (
        query_id, "MV-1042 vault sealed", "mazevault", "C0CHAN123", "U024BE7LH", 5000.0)


def test_times_keep_sub_second_precision(store: Store) -> None:
    query_id = store.save_query("x", now=1714478400.123456)
    query = store.get_query(query_id, now=1714478401.0)
    assert query is not None and query.created_at == 1714478400.123456


def test_saved_query_ids_are_unique(store: Store) -> None:
    assert len({store.save_query("same text") for _ in range(100)}) == 100


def test_unknown_query_is_none(store: Store) -> None:
    assert store.get_query("q_doesnotexist") is None


def test_old_queries_expire_and_are_pruned(store: Store) -> None:
    old = store.save_query("old", now=0.0)
    assert store.get_query(old, now=QUERY_TTL_S) is not None
    assert store.get_query(old, now=QUERY_TTL_S + 1) is None
    new = store.save_query("new", now=QUERY_TTL_S + 1)
    assert rows(store, "SELECT id FROM queries") == [(new,)]


# -- feedback ---------------------------------------------------------------------------


def test_second_vote_replaces_first(store: Store) -> None:
    store.record_feedback("q_1", helpful=True, user="U1", catalog="mazevault", code="MV-1042")
    store.record_feedback("q_1", helpful=False, user="U1", catalog="mazevault", code="MV-1042")
    assert [(r.helpful, r.not_helpful) for r in store.feedback_summary()] == [(0, 1)]


def test_votes_from_different_users_all_count(store: Store) -> None:
    for user in ("U1", "U2", "U3"):
        store.record_feedback("q_1", helpful=user != "U3", user=user,
                              catalog="mazevault", code="MV-1042")
    store.record_feedback("q_2", helpful=True, user="U1", catalog="mazevault", code="MV-1042")
    [row] = store.feedback_summary()
    assert (row.catalog, row.code, row.helpful, row.not_helpful) == (
        "mazevault", "MV-1042", 3, 1)


def test_feedback_summary_lists_most_not_helpful_first(store: Store) -> None:
    store.record_feedback("q_1", helpful=True, user="U1", catalog="mazevault", code="MV-1")
    store.record_feedback("q_2", helpful=False, user="U1", catalog="scaivault", code="SV-9")
    store.record_feedback("q_3", helpful=False, user="U2", catalog="scaivault", code="SV-9")
    store.record_feedback("q_4", helpful=False, user="U1", catalog=None, code=None)
    store.record_feedback("q_5", helpful=True, user="U1", catalog="aaa", code="A-1")
    assert [(r.catalog, r.code, r.not_helpful) for r in store.feedback_summary()] == [
        ("scaivault", "SV-9", 2), (None, None, 1), ("aaa", "A-1", 0), ("mazevault", "MV-1", 0)]


def test_anonymous_votes_on_one_query_share_a_slot(store: Store) -> None:
    store.record_feedback("q_1", helpful=True, user=None, catalog="c", code="X")
    store.record_feedback("q_1", helpful=False, user=None, catalog="c", code="X")
    assert [(r.helpful, r.not_helpful) for r in store.feedback_summary()] == [(0, 1)]


# -- unmatched queries ------------------------------------------------------------------


def test_unmatched_counts_similar_texts_together(store: Store) -> None:
    store.record_unmatched("Error at 12:01 for req_8f3a2b91c", product="mazevault", now=10.0)
    store.record_unmatched("error   at 12:02 for req_77aa00ff1", product="mazevault", now=20.0,
                           nearest="MV-1042")
    store.record_unmatched("something else entirely", product="mazevault", now=15.0)
    store.record_unmatched("error at 12:03 for req_00aa00ff1", product="mazevault", now=5.0)
    top = store.top_unmatched()
    assert [(r.text, r.count) for r in top] == [
        ("Error at 12:01 for req_8f3a2b91c", 3), ("something else entirely", 1)]
    assert (top[0].first_seen, top[0].last_seen, top[0].nearest) == (5.0, 20.0, "MV-1042")
    assert top[0].product == "mazevault"


def test_concurrent_unmatched_counts_every_query(store: Store, open_store: OpenStore) -> None:
    other = open_store()
    run_in_threads(12, lambda i: (store if i % 2 else other).record_unmatched("mystery 42"))
    [row] = store.top_unmatched()
    assert row.count == 12


@pytest.mark.parametrize(("a", "b"), [
    ("timeout after 3 retries", "timeout after 17 retries"),
    ("sealed at 2024-05-01T12:00:03Z", "sealed at 2024-06-30T01:59:59.123+02:00"),
    ("request 550e8400-e29b-41d4-a716-446655440000 failed",
     "request 123e4567-e89b-12d3-a456-426614174000 failed"),
    ("pointer 0xdeadbeef", "pointer 0x1f"),
    ("in channel C0CHAN123 ts 1714478400.000100", "in channel C07XYZ9876 ts 1714478999.000200"),
])
def test_unmatched_key_ignores_volatile_parts(a: str, b: str) -> None:
    assert unmatched_key(a) == unmatched_key(b)


@pytest.mark.parametrize(("a", "b"), [
    ("MV-1042 vault sealed", "MV-1043 vault sealed"),
    ("HTTP 503 from gateway", "HTTP 502 from gateway"),
    ("invalid_auth", "rate_limited"),
])
def test_unmatched_key_keeps_codes_and_statuses_apart(a: str, b: str) -> None:
    assert unmatched_key(a) != unmatched_key(b)


def test_unmatched_text_is_truncated_and_blank_ignored(store: Store) -> None:
    store.record_unmatched("x" * 5000)
    store.record_unmatched("   \n ")
    [row] = store.top_unmatched()
    assert len(row.text) == 500


def test_top_unmatched_respects_limit_and_product(store: Store) -> None:
    for i in range(3):
        store.record_unmatched(f"mystery {'abc'[i]}", product="scaivault")
    store.record_unmatched("mystery a", product="mazevault")
    assert len(store.top_unmatched(limit=2)) == 2
    assert [r.product for r in store.top_unmatched(product="mazevault")] == ["mazevault"]


# -- escalation packets -----------------------------------------------------------------


def save(store: Store, thread: str = THREAD, markdown: str = "# v1", data: str = "{}",
         now: float = 100.0) -> PacketRecord:
    return store.save_packet(thread, product="mazevault", author="U024BE7LH",
                             title="Vault sealed", markdown=markdown, data_json=data, now=now)


def test_first_save_creates_esc_0001_version_1(store: Store) -> None:
    record = store.save_packet(THREAD, product="mazevault", author="U1", title="Vault sealed",
                               markdown="# packet", data_json='{"a": 1}', now=100.0)
    assert (record.id, record.version, record.thread_key, record.created_at) == (
        "ESC-0001", 1, THREAD, 100.0)
    assert store.get_packet("ESC-0001") == record


def test_packet_ids_are_sequential_per_thread(store: Store) -> None:
    ids = [save(store, thread=f"C0CHAN123:17144784{i:02d}.000100").id for i in range(3)]
    assert ids == ["ESC-0001", "ESC-0002", "ESC-0003"]
    offline = store.save_packet("file:/tmp/incident.txt", product=None, author=None,
                                title="Offline", markdown="m", data_json="{}")
    assert offline.id == "ESC-0004"


def test_packet_versions_same_thread(store: Store) -> None:
    v1 = save(store, markdown="# v1", now=100.0)
    v2 = save(store, markdown="# v2", now=200.0)
    v3 = save(store, data='{"more": true}', markdown="# v2", now=300.0)
    assert (v1.id, v2.id, v3.id) == ("ESC-0001",) * 3
    assert (v1.version, v2.version, v3.version) == (1, 2, 3)
    assert store.get_packet("ESC-0001") == v3
    assert store.get_packet("ESC-0001", version=1) == v1
    assert store.get_packet("ESC-0001", version=2).markdown == "# v2"  # type: ignore[union-attr]
    assert store.get_packet("ESC-0001", version=4) is None
    assert store.get_packet("ESC-9999") is None
    assert store.packet_for_thread(THREAD) == v3
    assert store.packet_for_thread("C0OTHER:1.2") is None


def test_identical_resave_makes_no_new_version(store: Store) -> None:
    first = save(store, markdown="# same", data='{"x": 1}', now=100.0)
    again = save(store, markdown="# same", data='{"x": 1}', now=105.0)
    assert again == first
    assert store.list_packets()[0].latest_version == 1


def test_resave_after_change_back_makes_a_version(store: Store) -> None:
    save(store, markdown="A")
    save(store, markdown="B")
    assert save(store, markdown="A").version == 3


def test_list_packets_newest_first(store: Store) -> None:
    save(store, thread="C0CHAN123:1.1", now=100.0)
    save(store, thread="C0CHAN123:2.2", now=200.0)
    save(store, thread="C0CHAN123:1.1", markdown="# update", now=300.0)
    summaries = store.list_packets()
    assert [(p.id, p.latest_version) for p in summaries] == [("ESC-0001", 2), ("ESC-0002", 1)]
    first = summaries[0]
    assert (first.thread_key, first.product, first.author, first.title) == (
        "C0CHAN123:1.1", "mazevault", "U024BE7LH", "Vault sealed")
    assert (first.created_at, first.updated_at) == (100.0, 300.0)
    assert len(store.list_packets(limit=1)) == 1


def test_concurrent_packet_saves_one_packet(store: Store) -> None:
    records = run_in_threads(20, lambda i: save(store, markdown="# double click"))
    assert {(r.id, r.version) for r in records} == {("ESC-0001", 1)}
    assert len(store.list_packets()) == 1


def test_concurrent_packet_saves_across_two_stores_one_packet(store: Store,
                                                              open_store: OpenStore) -> None:
    other = open_store()
    records = run_in_threads(20, lambda i: save(store if i % 2 else other,
                                                markdown=f"# edit {i % 3}"))
    assert {r.id for r in records} == {"ESC-0001"}
    # Every distinct version number handed out is a real stored version.
    for v in {r.version for r in records}:
        assert store.get_packet("ESC-0001", version=v) is not None
    assert len(store.list_packets()) == 1


def test_concurrent_new_packets_get_distinct_numbers(store: Store,
                                                     open_store: OpenStore) -> None:
    other = open_store()
    records = run_in_threads(16, lambda i: save(store if i % 2 else other, thread=f"C0X:{i}.1"))
    assert sorted(r.id for r in records) == [f"ESC-{n:04d}" for n in range(1, 17)]


def test_packets_survive_reopen(store: Store, open_store: OpenStore) -> None:
    save(store, markdown="# v1")
    store.close()
    again = open_store()
    assert save(again, markdown="# v2").version == 2
    assert save(again, thread="file:/tmp/x").id == "ESC-0002"


# -- the health watch's memory ----------------------------------------------------------


def test_health_statuses_are_remembered_per_target(store: Store) -> None:
    assert store.health_statuses() == {}
    store.record_health_status("prod", "healthy", now=1.0)
    store.record_health_status("prod", "unhealthy", now=2.0)
    store.record_health_status("staging", "degraded", now=2.0)
    assert store.health_statuses() == {"prod": "unhealthy", "staging": "degraded"}

from __future__ import annotations

import dataclasses
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from bot.errors import ErrcodeError
from bot.store import (
    MIGRATIONS,
    QUERY_TTL_S,
    PacketRecord,
    Store,
    StoreError,
    unmatched_key,
)

T = TypeVar("T")
THREAD = "C0CHAN123:1714478400.000100"


@pytest.fixture
def store() -> Iterator[Store]:
    with Store(":memory:") as s:
        yield s


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "state" / "errcode.db"


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
        t.join(timeout=30)
    if errors:
        raise errors[0]
    return results  # type: ignore[return-value]


# -- opening, schema, errors ------------------------------------------------------------


def test_file_store_creates_parent_dirs_and_uses_wal(db_path: Path) -> None:
    Store(db_path).close()
    assert db_path.exists()
    conn = sqlite3.connect(db_path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
    conn.close()


def test_reopen_does_not_rerun_migrations(db_path: Path) -> None:
    Store(db_path).close()
    Store(db_path).close()  # a second run of the migrations would fail on CREATE TABLE
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT version FROM schema_version").fetchall() == [(len(MIGRATIONS),)]
    conn.close()


def test_newer_schema_version_raises_store_error(db_path: Path) -> None:
    Store(db_path).close()
    conn = sqlite3.connect(db_path)
    conn.execute("UPDATE schema_version SET version = 999")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="upgrade errcode"):
        Store(db_path)


def test_corrupt_file_raises_store_error(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"this is not sqlite \x00\xff\xfe" * 200)
    with pytest.raises(StoreError) as info:
        Store(db_path)
    assert isinstance(info.value, ErrcodeError)
    assert info.value.path == str(db_path)
    assert str(db_path) in str(info.value)


def test_unopenable_path_raises_store_error(tmp_path: Path) -> None:
    (tmp_path / "a_directory").mkdir()
    with pytest.raises(StoreError, match="a_directory"):
        Store(tmp_path / "a_directory")


def test_closed_store_raises_store_error(db_path: Path) -> None:
    s = Store(db_path)
    s.close()
    s.close()  # idempotent
    with pytest.raises(StoreError, match="closed"):
        s.mark_event_seen("Ev1")


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


def test_seen_events_survive_reopen(db_path: Path) -> None:
    with Store(db_path) as s:
        assert s.mark_event_seen("Ev0A1B2C3D")
    with Store(db_path) as s:
        assert s.mark_event_seen("Ev0A1B2C3D") is False


def test_seen_event_expires_after_ttl(store: Store) -> None:
    assert store.mark_event_seen("Ev1", now=1000.0, ttl_s=60)
    assert store.mark_event_seen("Ev1", now=1059.0, ttl_s=60) is False
    assert store.mark_event_seen("Ev1", now=1060.0, ttl_s=60) is True


def test_expired_events_are_pruned(db_path: Path) -> None:
    with Store(db_path) as s:
        for i in range(5):
            s.mark_event_seen(f"Ev{i}", now=1000.0, ttl_s=10)
        s.mark_event_seen("EvLate", now=2000.0, ttl_s=10)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT id FROM seen_events").fetchall() == [("EvLate",)]
    conn.close()


def test_concurrent_marks_one_winner(store: Store) -> None:
    results = run_in_threads(20, lambda i: store.mark_event_seen("Ev0RETRY"))
    assert results.count(True) == 1


def test_concurrent_marks_across_two_stores_one_winner(db_path: Path) -> None:
    with Store(db_path) as a, Store(db_path) as b:
        results = run_in_threads(
            20, lambda i: (a if i % 2 else b).mark_event_seen(f"Ev{i // 4}"))
    # Five distinct ids, four attempts each, from two connections: one winner per id.
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


def test_concurrent_claims_one_winner(store: Store) -> None:
    assert run_in_threads(20, lambda i: store.claim("escalate:x")).count(True) == 1


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


def test_saved_query_ids_are_unique(store: Store) -> None:
    assert len({store.save_query("same text") for _ in range(100)}) == 100


def test_unknown_query_is_none(store: Store) -> None:
    assert store.get_query("q_doesnotexist") is None


def test_old_queries_expire_and_are_pruned(db_path: Path) -> None:
    with Store(db_path) as s:
        old = s.save_query("old", now=0.0)
        assert s.get_query(old, now=QUERY_TTL_S) is not None
        assert s.get_query(old, now=QUERY_TTL_S + 1) is None
        new = s.save_query("new", now=QUERY_TTL_S + 1)
    conn = sqlite3.connect(db_path)
    assert conn.execute("SELECT id FROM queries").fetchall() == [(new,)]
    conn.close()


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
    assert [(r.catalog, r.code, r.not_helpful) for r in store.feedback_summary()] == [
        ("scaivault", "SV-9", 2), (None, None, 1), ("mazevault", "MV-1", 0)]


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
    top = store.top_unmatched()
    assert [(r.text, r.count) for r in top] == [
        ("Error at 12:01 for req_8f3a2b91c", 2), ("something else entirely", 1)]
    assert (top[0].first_seen, top[0].last_seen, top[0].nearest) == (10.0, 20.0, "MV-1042")
    assert top[0].product == "mazevault"


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
    assert store.get_packet("ESC-0001", version=2).markdown == "# v2"
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


def test_concurrent_packet_saves_across_two_stores_one_packet(db_path: Path) -> None:
    with Store(db_path) as a, Store(db_path) as b:
        records = run_in_threads(
            20, lambda i: save(a if i % 2 else b, markdown=f"# edit {i % 3}"))
        assert {r.id for r in records} == {"ESC-0001"}
        versions = [r.version for r in records]
        # Every distinct version number handed out is a real stored version.
        for v in set(versions):
            assert a.get_packet("ESC-0001", version=v) is not None
        assert len(a.list_packets()) == 1


def test_packets_survive_reopen(db_path: Path) -> None:
    with Store(db_path) as s:
        save(s, markdown="# v1")
    with Store(db_path) as s:
        assert save(s, markdown="# v2").version == 2
        assert save(s, thread="file:/tmp/x").id == "ESC-0002"

"""Group commit (bot.store.group): concurrent writes share a transaction, each caller
returns once its own write is committed, and one failing write fails only its caller."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.store import Store, StoreError
from bot.store.backends import Cursor, Tx
from bot.store.group import GroupCommit
from tests.store.test_store import run_in_threads


class Recorded:
    """A stand-in database: each transaction is a list of the writes it ran, kept only
    once committed; `hold` keeps the next transaction open until released."""

    def __init__(self) -> None:
        self.committed: list[list[str]] = []
        self.fail_commit = False
        self.hold = threading.Event()
        self.held = threading.Event()
        self.hold.set()

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        writes: list[str] = []
        tx = _Tx(writes)
        yield tx
        self.held.set()
        self.hold.wait(10)
        if self.fail_commit:
            raise StoreError("test.db", "disk I/O error")
        self.committed.append(writes)


class _Tx:
    def __init__(self, writes: list[str]) -> None:
        self.writes = writes

    def execute(self, sql: str, params: Sequence[object] = (), /) -> Cursor:
        self.writes.append(sql)
        raise AssertionError("not used")


def write(name: str):  # type: ignore[no-untyped-def]
    def run(tx: _Tx) -> str:
        tx.writes.append(name)
        return f"done {name}"
    return run


def run_behind_an_open_transaction(db: Recorded, group: GroupCommit,
                                   threads: list[threading.Thread]) -> None:
    """Write "first" and hold its transaction open; start `threads`, wait until each has
    queued its write, then let the transaction commit and wait for every thread."""
    db.hold.clear()
    first = threading.Thread(target=group.run, args=(write("first"),))
    first.start()
    assert db.held.wait(5)  # the first write's transaction is open: the others queue
    for t in threads:
        t.start()
    deadline = time.monotonic() + 5
    while len(group._queue) < len(threads) and time.monotonic() < deadline:
        time.sleep(0.01)
    db.hold.set()
    for t in [first, *threads]:
        t.join(5)


def test_writes_queued_behind_a_transaction_share_the_next_one() -> None:
    db = Recorded()
    group = GroupCommit(db.transaction)  # type: ignore[arg-type]
    results: dict[int, str] = {}
    run_behind_an_open_transaction(db, group, [threading.Thread(
        target=lambda i=i: results.__setitem__(i, group.run(write(f"w{i}"))))
        for i in range(8)])
    assert results == {i: f"done w{i}" for i in range(8)}  # each its own result
    assert db.committed[0] == ["first"]
    assert sorted(db.committed[1]) == sorted(f"w{i}" for i in range(8))  # one transaction
    assert (group.batches, group.writes) == (2, 9)


def test_a_lone_write_runs_at_once_in_its_callers_thread() -> None:
    db = Recorded()
    group = GroupCommit(db.transaction)  # type: ignore[arg-type]
    ran_in: list[threading.Thread] = []

    def mine(tx: _Tx) -> int:
        ran_in.append(threading.current_thread())
        return 7

    assert group.run(mine) == 7
    assert ran_in == [threading.current_thread()]


def test_a_failing_write_fails_alone_and_the_others_are_committed() -> None:
    db = Recorded()
    group = GroupCommit(db.transaction)  # type: ignore[arg-type]
    outcomes: dict[str, object] = {}

    def broken(tx: _Tx) -> str:
        raise ValueError("bad payload")

    def call(name: str, fn) -> None:  # type: ignore[no-untyped-def]
        try:
            outcomes[name] = group.run(fn)
        except Exception as exc:
            outcomes[name] = exc

    run_behind_an_open_transaction(db, group, [
        threading.Thread(target=call, args=("a", write("a"))),
        threading.Thread(target=call, args=("bad", broken)),
        threading.Thread(target=call, args=("b", write("b")))])
    assert outcomes["a"] == "done a" and outcomes["b"] == "done b"
    assert isinstance(outcomes["bad"], ValueError)
    assert sorted(w for tx in db.committed for w in tx) == ["a", "b", "first"]


def test_a_failed_commit_fails_the_writes_it_held() -> None:
    db = Recorded()
    db.fail_commit = True
    group = GroupCommit(db.transaction)  # type: ignore[arg-type]
    for name in ("x", "y"):
        with pytest.raises(StoreError, match="disk I/O error"):
            group.run(write(name))
    assert db.committed == []


# -- on a real SQLite store ---------------------------------------------------------------


def test_concurrent_acks_are_stored_once_each_in_fewer_transactions(tmp_path: Path) -> None:
    with Store(tmp_path / "errcode.db") as store:
        ids = run_in_threads(40, lambda i: store.add_job(
            "answer", "slash", json.dumps({"n": i})))
        assert len(set(ids)) == 40 and None not in ids
        assert store.pending_jobs("answer") == 40
        assert store._writes is not None and store._writes.writes == 40


def test_the_ack_bound_holds_for_acks_in_one_transaction(tmp_path: Path) -> None:
    """Rows inserted earlier in the same shared transaction count against the bound."""
    with Store(tmp_path / "errcode.db") as store:
        ids = run_in_threads(30, lambda i: store.add_job("answer", "slash", "{}", limit=5))
        assert len([i for i in ids if i is not None]) == 5
        assert store.pending_jobs("answer") == 5


def test_a_store_failure_reaches_every_caller(tmp_path: Path) -> None:
    store = Store(tmp_path / "errcode.db")
    store.close()
    with pytest.raises(StoreError, match="closed"):
        store.add_job("answer", "slash", "{}")

"""Group commit: the small writes of many threads in one transaction (the Store's SQLite
writes; on PostgreSQL they run side by side on pooled connections instead).

Every ack stores its question before it leaves (bot.store.jobs), and every answer
saves its query and deletes its job. One transaction per write made the threads take
turns on the database (SQLite: one connection under one lock), and each turn cost more
than its SQL: the lock's next holder first waits for the GIL, which under load is held
by the CPU workers for up to a switch interval (5 ms), and so does every statement
that released it. Measured under wrk at 50 connections (docs/benchmarks.md, "Answer
path under load"): a write's SQL took 0.02-0.03 ms, while the acks waited p99 23-54 ms
for the lock, and the waitress threads, all four waiting on it, left 50-100 requests
queued in front of them.

Here a write is a function of the open transaction. A writer that finds nobody
committing leads: it takes every write queued so far (its own first), runs them in one
transaction, commits, and hands each its result. Writes that arrive meanwhile queue,
and the first of them leads the next batch once this one is committed. A lone write
runs at once in its own thread, as before. A caller returns only once the transaction
holding its write has committed: an acked question is stored exactly as before.

A write that raises is taken out: the batch is rolled back, that write runs alone (so
its caller sees what it would have seen unbatched) and the others run again together.
A failed BEGIN or COMMIT (the database locked or unreachable) fails every write of the
batch with the same StoreError.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Generic, TypeVar

from bot.store.backends import Tx

__all__ = ["MAX_BATCH", "GroupCommit"]

T = TypeVar("T")

MAX_BATCH = 128  # writes in one transaction at most: one batch stays a few milliseconds


class _Write(Generic[T]):
    """One caller's write, waiting for its batch (or for its turn to lead one)."""

    __slots__ = ("done", "error", "lead", "run", "value")

    def __init__(self, run: Callable[[Tx], T]) -> None:
        self.run = run
        self.done = threading.Event()
        self.lead = False  # woken to lead the next batch, not because it is done
        self.value: T | None = None
        self.error: BaseException | None = None

    def result(self) -> T:
        if self.error is not None:
            raise self.error
        return self.value  # type: ignore[return-value]


class GroupCommit:
    """Runs writes from any thread, each in a transaction shared with the writes that
    queued beside it; `transaction` opens one (the backend's write transaction)."""

    def __init__(self, transaction: Callable[[], AbstractContextManager[Tx]], *,
                 max_batch: int = MAX_BATCH) -> None:
        self._transaction = transaction
        self._max_batch = max_batch
        self._lock = threading.Lock()
        self._queue: deque[_Write[object]] = deque()
        self._leading = False
        self.batches = 0  # committed or failed: how much batching happened (tests, logs)
        self.writes = 0

    def run(self, write: Callable[[Tx], T]) -> T:
        """`write(tx)`'s result once its transaction has committed; its error, or the
        transaction's, raised here."""
        mine: _Write[T] = _Write(write)
        with self._lock:
            self._queue.append(mine)  # type: ignore[arg-type]
            lead = not self._leading
            self._leading = True
        if not lead:
            mine.done.wait()
            lead = mine.lead
        if lead:
            self._lead()
        return mine.result()

    def _lead(self) -> None:
        """Commit the writes queued so far (this thread's own first), then hand the lead
        to the first write that queued meanwhile, or give it up."""
        with self._lock:
            batch = [self._queue.popleft()
                     for _ in range(min(self._max_batch, len(self._queue)))]
        try:
            self._commit(batch)
        finally:
            for write in batch:
                write.lead = False
                write.done.set()
            with self._lock:
                if self._queue:
                    following = self._queue[0]
                    following.lead = True
                    following.done.set()
                else:
                    self._leading = False

    def _commit(self, batch: list[_Write[object]]) -> None:
        while batch:
            self.batches += 1
            self.writes += len(batch)
            failed: _Write[object] | None = None
            try:
                with self._transaction() as tx:
                    for write in batch:
                        failed = write
                        write.value = write.run(tx)
                    failed = None
            except BaseException as exc:
                if failed is None or len(batch) == 1:  # BEGIN or COMMIT: all of them
                    for write in batch:
                        write.error = exc
                    return
                self._commit([failed])  # alone: its caller gets its own error
                batch = [write for write in batch if write is not failed]
                continue
            return

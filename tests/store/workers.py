"""Work for separate processes (replicas), started together on one database.

    results = in_processes(4, mark_events, url, ids)   # one result per process

Functions here run in fresh interpreters (multiprocessing "spawn"), so they take only
plain arguments and open their own Store, as a replica would.
"""

from __future__ import annotations

import multiprocessing
import traceback
from collections.abc import Callable
from typing import Any

from bot.store import Store

START_TIMEOUT_S = 60


def in_processes(n: int, fn: Callable[..., Any], *args: Any) -> list[Any]:
    """Run fn(index, *args) in n processes released together by a barrier; results in
    index order. Any failure in a child fails the caller with the child's traceback."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(n)
    results = ctx.Queue()
    procs = [ctx.Process(target=_entry, args=(fn, i, barrier, results, args))
             for i in range(n)]
    for p in procs:
        p.start()
    try:
        out = dict(results.get(timeout=START_TIMEOUT_S) for _ in procs)
    finally:
        for p in procs:
            p.join(10)
            if p.is_alive():
                p.kill()
    failures = [v for v in out.values() if isinstance(v, str) and v.startswith("FAILED")]
    assert not failures, failures[0]
    return [out[i] for i in range(n)]


def _entry(fn: Callable[..., Any], index: int, barrier: Any, results: Any,
           args: tuple[Any, ...]) -> None:
    try:
        results.put((index, fn(index, barrier, *args)))
    except BaseException:
        results.put((index, "FAILED\n" + traceback.format_exc()))


def mark_events(index: int, barrier: Any, url: str, ids: list[str]) -> list[str]:
    """Mark every id; return the ids this process won."""
    with Store(url) as store:
        barrier.wait()
        return [event_id for event_id in ids if store.mark_event_seen(event_id)]


def save_packets(index: int, barrier: Any, url: str, count: int) -> list[str]:
    """Save `count` packets for threads of its own; return their ids."""
    with Store(url) as store:
        barrier.wait()
        return [store.save_packet(f"C0P{index}:{n}.1", product=None, author=None,
                                  title="t", markdown="m", data_json="{}").id
                for n in range(count)]


def open_migrating(index: int, barrier: Any, url: str) -> int:
    """Open (and so migrate) a fresh database at the same moment as the others."""
    barrier.wait()
    with Store(url) as store:
        return store.schema_version()


def take_lease(index: int, barrier: Any, url: str) -> bool:
    with Store(url) as store:
        barrier.wait()
        return store.acquire_lease("health-watch", f"replica-{index}", 30)


def add_jobs(index: int, barrier: Any, url: str, count: int) -> int:
    with Store(url) as store:
        barrier.wait()
        for n in range(count):
            store.add_job("answer", "slash", f'{{"n": {n}}}')
        return count


def take_all_jobs(index: int, barrier: Any, url: str) -> list[str]:
    """Take jobs a few at a time until none is left; the ids this process took."""
    with Store(url) as store:
        barrier.wait()
        mine: list[str] = []
        while batch := store.take_jobs("answer", limit=3, lease_s=60):
            mine += [job.id for job in batch]
        return mine

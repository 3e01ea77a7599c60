"""PostgreSQL only: the pool reconnects after a killed backend or a restart under load;
while the server is away callers get StoreError (and a log line), never a crash."""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

import pytest

from bot.store import Store, StoreError
from tests.store.databases import PostgresRun, with_query
from tests.store.proxy import TcpProxy

# Collected only when ERRCODE_TEST_POSTGRES_URL is set (see conftest.collect_ignore).


@pytest.fixture
def pg_url(pg_run: PostgresRun) -> str:
    return pg_run.fresh_url()


def test_killed_connections_are_replaced_on_the_next_call(pg_run: PostgresRun,
                                                          pg_url: str) -> None:
    url = with_query(pg_url, application_name="errcode-test-kill")
    with Store(url) as store:
        assert store.mark_event_seen("Ev-before")
        assert pg_run.terminate("errcode-test-kill") >= 1
        # No error: the dead connection is noticed as it leaves the pool.
        assert store.mark_event_seen("Ev-before") is False
        assert store.mark_event_seen("Ev-after")


def test_the_pool_serves_more_threads_than_connections(pg_url: str) -> None:
    with Store(pg_url, pool_size=2) as store:
        won: list[bool] = []
        threads = [threading.Thread(target=lambda i=i: won.append(
            store.mark_event_seen(f"Ev{i % 8}"))) for i in range(32)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert won.count(True) == 8 and len(won) == 32


def test_restart_under_load_fails_calls_then_reconnects(
        pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    """The proxy stands in for the server: down() cuts every connection and refuses new
    ones, as a restart does, without touching the server other tests use."""
    parts = urlsplit(pg_url)
    with TcpProxy((parts.hostname or "127.0.0.1", parts.port or 5432)) as proxy:
        userinfo = parts.netloc.rpartition("@")[0]
        url = pg_url.replace(parts.netloc, f"{userinfo}@127.0.0.1:{proxy.port}")
        store = Store(url, timeout_s=1.0)
        outcomes: Counter[str] = Counter()
        won: list[str] = []
        done = threading.Event()

        def replica_load(worker: int) -> None:
            n = 0
            while not done.is_set():
                n += 1
                event_id = f"Ev{worker}-{n}"
                try:
                    if store.mark_event_seen(event_id):
                        won.append(event_id)
                    outcomes["ok"] += 1
                except StoreError:
                    outcomes["store_error"] += 1
                except Exception as err:  # pragma: no cover - the failure this test hunts
                    outcomes[f"crash {type(err).__name__}"] += 1
                time.sleep(0.01)

        workers = [threading.Thread(target=replica_load, args=(w,)) for w in range(4)]
        with caplog.at_level(logging.WARNING, logger="errcode.store"):
            for w in workers:
                w.start()
            time.sleep(0.5)
            proxy.down()
            time.sleep(2.0)
            before_up = dict(outcomes)
            proxy.up()
            deadline = time.monotonic() + 10
            while outcomes["ok"] <= before_up.get("ok", 0) and time.monotonic() < deadline:
                time.sleep(0.05)
            back_after_s = 10 - (deadline - time.monotonic())
            time.sleep(0.5)
            done.set()
            for w in workers:
                w.join(10)
        try:
            assert not [k for k in outcomes if k.startswith("crash")], outcomes
            assert outcomes["store_error"] > 0, "the outage was never noticed"
            assert outcomes["ok"] > before_up.get("ok", 0), "no call succeeded after restart"
            assert back_after_s < 3, f"reconnected only after {back_after_s:.1f} s"
            # What could not be recorded is named in the log.
            assert "event=store_failed op=record_seen_events item=Ev" in caplog.text
            # Every event recorded before the outage is still a duplicate after it.
            assert won and all(store.mark_event_seen(e) is False for e in won[:20])
        finally:
            store.close()


"""The health watch, against real local HTTP servers and a real store: it posts only
when a target's status changes, with the catalog's words; one replica runs it, and
another takes over when the holder dies."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.catalog.load import load_catalog
from bot.config import Settings, load_settings
from bot.core import Core
from bot.errors import ConfigError
from bot.health.watch import WATCH_LEASE, HealthWatch
from bot.store import Store
from tests.fakes.servers import LocalServer, Reply

CATALOG = load_catalog()
CHANNEL = "C0OPSALERT"
OK = {"status": "ok"}
DEGRADED = {"status": "degraded", "components": {"redis": {"status": "degraded"}}}


class Posts:
    """The `post` callback: what was posted, and an optional failure to raise."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, str]] = []
        self.fail: Exception | None = None
        self.lock = threading.Lock()

    def __call__(self, channel: str, text: str) -> None:
        if self.fail is not None:
            raise self.fail
        with self.lock:
            self.sent.append((channel, text))

    @property
    def texts(self) -> list[str]:
        with self.lock:
            return [t for _, t in self.sent]


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        srv.route("/api/v1/health", Reply.json(OK))
        srv.route("/ocsp/health", Reply.json(OK))
        yield srv


@pytest.fixture
def replicas(server: LocalServer, store_url: str) -> Iterator[Any]:
    """make() -> a Core on its own Store over the one test database (a replica each)."""
    stores: list[Store] = []
    health = {"targets": [{"name": "prod", "product": "mazevault", "base_url": server.url,
                           "timeout_s": 0.5,
                           "checks": ["/api/v1/health", "/ocsp/health"]}],
              "watch": {"interval_s": 60, "channel": CHANNEL}}

    def make() -> Core:
        stores.append(Store(store_url))
        return Core.load(Settings(health_raw=health), CATALOG, stores[-1], env={})

    yield make
    for store in stores:
        store.close()


def test_posts_only_when_a_status_changes(replicas: Any, server: LocalServer) -> None:
    posts = Posts()
    watch = HealthWatch(replicas(), posts)
    assert watch.run_once() == []  # first seen healthy: remembered, not announced
    server.route("/api/v1/health", Reply.json(DEGRADED))
    [change] = watch.run_once()
    assert (change.before, change.after) == ("healthy", "degraded")
    assert watch.run_once() == []  # still degraded: nothing new to say
    server.route("/api/v1/health", Reply.json(OK))
    assert [c.after for c in watch.run_once()] == ["healthy"]
    assert [channel for channel, _ in posts.sent] == [CHANNEL, CHANNEL]
    assert posts.texts[0].startswith("prod (mazevault) is degraded (was healthy): "
                                     "/api/v1/health: ")
    assert posts.texts[1] == "prod (mazevault) is healthy again (was degraded)."


def test_a_timeout_beside_degraded_answers_is_announced_unhealthy_with_the_catalog(
        replicas: Any, server: LocalServer) -> None:
    server.route("/api/v1/health", Reply.json(DEGRADED))
    server.route("/ocsp/health", Reply.json(OK, delay_s=3))
    posts = Posts()
    [change] = HealthWatch(replicas(), posts).run_once()  # first seen, not healthy: said
    assert (change.before, change.after) == (None, "unhealthy")
    text = posts.texts[0]
    assert text.startswith("prod (mazevault) is unhealthy: /ocsp/health: timed out after 0.5 s")
    assert "unreachable" not in text
    assert "Catalog: ocsp-errors (OCSP Errors): " in text


def test_only_the_lease_holder_runs_the_checks(replicas: Any, server: LocalServer) -> None:
    a, b = HealthWatch(replicas(), Posts()), HealthWatch(replicas(), Posts())
    a.run_once()
    b.run_once()
    assert (a.holding, b.holding) == (True, False)
    assert len(server.requests_to("/api/v1/health")) == 1


def test_a_failed_post_is_not_remembered_and_is_tried_again(replicas: Any,
                                                            server: LocalServer) -> None:
    posts = Posts()
    watch = HealthWatch(replicas(), posts)
    watch.run_once()
    server.route("/api/v1/health", Reply.json(DEGRADED))
    posts.fail = ConnectionError("slack down")
    assert watch.run_once() == []
    posts.fail = None
    assert [c.after for c in watch.run_once()] == ["degraded"]


def test_another_replica_takes_over_when_the_holder_dies(replicas: Any,
                                                         server: LocalServer) -> None:
    interval = 0.4
    a_posts, b_posts = Posts(), Posts()
    a = HealthWatch(replicas(), a_posts, interval_s=interval).start()
    b = HealthWatch(replicas(), b_posts, interval_s=interval).start()
    try:
        wait_for(lambda: a.holding or b.holding, 5)
        holder, standby, standby_posts = (a, b, b_posts) if a.holding else (b, a, a_posts)
        holder.stop(release=False)  # dies: the lease is left to expire
        died = time.monotonic()
        server.route("/api/v1/health", Reply.json(DEGRADED))
        wait_for(lambda: standby.holding, 5)
        # The lease lasts two intervals from the last run; a standby polls every quarter.
        assert time.monotonic() - died <= 2 * interval + interval / 4 + 0.5
        wait_for(lambda: standby_posts.texts, 5)
        assert standby_posts.texts[0].startswith("prod (mazevault) is degraded (was healthy)")
    finally:
        a.stop()
        b.stop()


def test_a_clean_stop_hands_the_watch_over_at_the_next_poll(replicas: Any) -> None:
    interval = 2.0
    a = HealthWatch(replicas(), Posts(), interval_s=interval)
    b = HealthWatch(replicas(), Posts(), interval_s=interval)
    a.run_once()
    b.start()
    try:
        time.sleep(0.1)
        assert not b.holding
        a.stop()  # releases the lease
        stopped = time.monotonic()
        wait_for(lambda: b.holding, 5)
        assert time.monotonic() - stopped <= interval / 4 + 0.3
        assert a.store.lease_holder(WATCH_LEASE) == b.holder
    finally:
        b.stop()


def test_watch_needs_its_settings_and_a_store() -> None:
    core = Core.load(Settings(), CATALOG, None, env={})
    with pytest.raises(ValueError, match=r"health\.watch"):
        HealthWatch(core, Posts())
    with pytest.raises(ValueError, match="Store"):
        HealthWatch(core, Posts(), interval_s=60, channel=CHANNEL)


@pytest.mark.parametrize(("watch", "key", "says"), [
    ("{interval_s: 1, channel: C0OPSALERT}", "health.watch.interval_s", "from 5 to 86400"),
    ("{interval_s: 60, channel: ops-alerts}", "health.watch.channel", "channel id"),
    ("{interval_s: 60}", "health.watch", "channel"),
    ("{interval_s: 60, channel: C0OPSALERT, every: 5}", "health.watch", "every"),
])
def test_bad_watch_settings_name_the_key(tmp_path: Path, watch: str, key: str,
                                         says: str) -> None:
    cfg = tmp_path / "errcode.yml"
    cfg.write_text("health:\n  targets:\n    - {name: prod, product: mazevault, "
                   f"base_url: 'http://127.0.0.1:9', checks: [/h]}}\n  watch: {watch}\n")
    with pytest.raises(ConfigError) as info:
        Core.load(load_settings(cfg, env={}), CATALOG, None, env={})
    assert info.value.key.startswith(key) and says in str(info.value)


def test_watch_settings_are_read_from_errcode_yml(tmp_path: Path) -> None:
    cfg = tmp_path / "errcode.yml"
    cfg.write_text("health:\n  targets:\n    - {name: prod, product: mazevault, "
                   "base_url: 'http://127.0.0.1:9', checks: [/h]}\n"
                   "  watch: {interval_s: 30, channel: C0OPSALERT}\n")
    watch = Core.load(load_settings(cfg, env={}), CATALOG, None, env={}).health.watch
    assert watch is not None and (watch.interval_s, watch.channel) == (30.0, CHANNEL)
    cfg.write_text("health:\n  watch: {channel: C0OPSALERT}\n")
    with pytest.raises(ConfigError, match="nothing to watch"):
        Core.load(load_settings(cfg, env={}), CATALOG, None, env={})


def wait_for(condition: Any, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out waiting"
        time.sleep(0.02)

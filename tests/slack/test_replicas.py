"""Two `errcode serve --http` replicas on one database, behind the local Slack stand-in:
Slack's retries land on either, a replica dies mid-burst, and still every question is
answered exactly once. The suite runs on one shared SQLite file and, when
ERRCODE_TEST_POSTGRES_URL is set, on a PostgreSQL database made for the run.

Real processes, real signed HTTP; "Slack is slow" is the stand-in holding its answers to
chat.postMessage (the message is in its thread already), so a replica killed mid-burst
leaves acked events unanswered, posts in flight and answers not yet recorded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from bot.store import Store, sqlite_url
from tests.fakes import slack_payloads as payloads
from tests.fakes.servers import closed_port
from tests.fakes.slack_api import BOT_TOKEN, LocalSlackAPI
from tests.store.databases import DIALECTS, ENV, PostgresRun

ROOT = Path(__file__).resolve().parents[2]
SECRET = "replica-signing-secret-0123456789"
LEASE_S = 2  # ERRCODE_JOB_LEASE_S: a dead replica's questions are taken over this soon
# More than a replica takes at once (2 CPU workers + 32 deliveries): with Slack holding
# its answers to chat.postMessage, the rest of what it acked waits in the store.
KILL_AFTER_ACKS = 45


class Replica:
    """One `errcode serve --http` process; `kill()` is SIGKILL, `start()` starts anew."""

    def __init__(self, name: str, store_url: str, api: LocalSlackAPI, tmp: Path) -> None:
        self.name, self.store_url, self.api, self.tmp = name, store_url, api, tmp
        self.port = closed_port()
        self.proc: subprocess.Popen | None = None
        # One client for every send: a new one per request costs an SSL context each.
        self.http = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=32))

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Replica:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRCODE_", "SLACK_"))}
        env.update(SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_SIGNING_SECRET=SECRET,
                   SLACK_API_URL=self.api.base_url, ERRCODE_STORAGE_URL=self.store_url,
                   ERRCODE_JOB_LEASE_S=str(LEASE_S), ERRCODE_LOG_LEVEL="INFO",
                   PYTHONPATH=str(ROOT))
        log = (self.tmp / f"{self.name}.log").open("a")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve", "--http", "--host", "127.0.0.1",
             "--port", str(self.port)], env=env, cwd=self.tmp, stdout=log, stderr=log)
        return self

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc is not None and self.proc.poll() is None, self.log_tail()
            try:
                if self.http.get(self.url + "/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"{self.name} did not start: {self.log_tail()}")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def close(self) -> None:
        self.stop()
        self.http.close()

    def stop(self) -> None:
        # Idle kept-alive connections would hold waitress's loop until their timeout.
        self.http.close()
        self.http = httpx.Client(timeout=10, limits=httpx.Limits(max_connections=32))
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.kill()

    def log_tail(self) -> str:
        path = self.tmp / f"{self.name}.log"
        return path.read_text()[-3000:] if path.exists() else ""

    def send(self, req: payloads.SlackRequest, retry_num: int | None = None) -> int:
        headers = payloads.signed_headers(SECRET, req, retry_num=retry_num,
                                          retry_reason="http_timeout" if retry_num else None)
        return self.http.post(self.url + "/slack/events", content=req.body.encode(),
                              headers=headers).status_code


class Cluster:
    """Replicas a and b on one database, and the Slack stand-in they both post to."""

    def __init__(self, store_url: str, tmp: Path) -> None:
        self.store_url = store_url
        self.api = LocalSlackAPI(keep_threads=True).start()
        self.a = Replica("a", store_url, self.api, tmp)
        self.b = Replica("b", store_url, self.api, tmp)

    def replies(self) -> Counter[str]:
        """Bot posts per thread (each event is asked in a thread of its own). A request
        cut off by SIGKILL mid-body is no post (Slack refuses it as invalid_json)."""
        return Counter(str(c.params["thread_ts"]) for c in self.api.calls_to("chat.postMessage")
                       if c.params.get("thread_ts"))

    def wait_replies(self, threads: list[str], timeout: float = 20) -> Counter[str]:
        """Until every thread has an answer; the replies then."""
        deadline = time.monotonic() + timeout
        while True:
            got = self.replies()
            missing = [t for t in threads if not got[t]]
            if not missing or time.monotonic() > deadline:
                assert not missing, (f"{len(missing)} of {len(threads)} never answered; "
                                     f"a: {self.a.log_tail()}\nb: {self.b.log_tail()}")
                return got

    def quiet(self, seconds: float = 1.0) -> Counter[str]:
        """The replies once no post arrived for `seconds`: nothing late is on its way."""
        count = -1
        while count != len(self.api.calls_to("chat.postMessage")):
            count = len(self.api.calls_to("chat.postMessage"))
            time.sleep(seconds)
        return self.replies()

    def pending_jobs(self) -> int:
        with Store(self.store_url) as store:
            return store.pending_jobs()


def mention(text: str = "RATE_LIMITED") -> tuple[str, payloads.SlackRequest]:
    event = payloads.app_mention_event(text)
    return event["ts"], payloads.event_callback(event)


def send_all(sends: list[tuple[Replica, payloads.SlackRequest, int | None]]) -> list[int]:
    """Deliver them side by side, as Slack does; the HTTP statuses."""
    with ThreadPoolExecutor(16) as pool:
        return list(pool.map(lambda s: s[0].send(s[1], s[2]), sends))


@pytest.fixture(scope="module", params=DIALECTS)
def cluster(request: pytest.FixtureRequest,
            tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    tmp = tmp_path_factory.mktemp(f"replicas-{request.param}")
    run: PostgresRun | None = None
    if request.param == "sqlite":
        url = sqlite_url(tmp / "shared.sqlite3")
    else:
        run = PostgresRun(os.environ[ENV]).__enter__()
        url = run.fresh_url()
    Store(url).close()  # migrated once, before the replicas race to it
    both = Cluster(url, tmp)
    try:
        both.a.start(), both.b.start()
        both.a.wait_ready(), both.b.wait_ready()
        yield both
    finally:
        both.a.close(), both.b.close()
        both.api.stop()
        if run is not None:
            run.__exit__(None, None, None)


@pytest.fixture
def replicas(cluster: Cluster) -> Cluster:
    """Both replicas serving, Slack answering at once, nothing recorded yet."""
    for replica in (cluster.a, cluster.b):
        if replica.proc is None or replica.proc.poll() is not None:
            replica.start()
    cluster.a.wait_ready(), cluster.b.wait_ready()
    cluster.api.release()
    cluster.api.clear()
    return cluster


def test_an_event_retried_on_the_other_replica_is_answered_once(replicas: Cluster) -> None:
    thread, req = mention()
    assert replicas.a.send(req) == 200
    assert replicas.b.send(req, retry_num=1) == 200  # Slack's retry, through the balancer
    replicas.wait_replies([thread])
    assert replicas.quiet() == {thread: 1}


def test_a_hundred_events_each_sent_to_both_at_once_get_a_hundred_replies(
        replicas: Cluster) -> None:
    events = [mention() for _ in range(100)]
    sends = [(replica, req, None) for _, req in events for replica in (replicas.a, replicas.b)]
    assert set(send_all(sends)) == {200}
    threads = [thread for thread, _ in events]
    replicas.wait_replies(threads)
    assert replicas.quiet() == dict.fromkeys(threads, 1)
    assert replicas.pending_jobs() == 0


def test_a_replica_killed_mid_burst_loses_no_acked_event_and_answers_none_twice(
        replicas: Cluster) -> None:
    events = [mention() for _ in range(80)]
    refused = burst_then_kill(replicas, replicas.a, events[:60])
    # The rest of the burst goes to b, with every event a had as a retry (Slack resends
    # only those it never saw acked; duplicates of the others must change nothing).
    statuses = send_all([(replicas.b, req, 1) for _, req in events[:60]]
                        + [(replicas.b, req, None) for _, req in events[60:]])
    assert set(statuses) == {200}
    slack_retries_later(replicas.b, refused)
    threads = [thread for thread, _ in events]
    replicas.wait_replies(threads, timeout=LEASE_S + 20)
    assert replicas.quiet() == dict.fromkeys(threads, 1)

    # The killed replica comes back: it serves, and replays of answered events get nothing.
    replicas.a.start()
    replicas.a.wait_ready()
    assert set(send_all([(replicas.a, req, 2) for _, req in events])) == {200}
    thread, req = mention()
    assert replicas.a.send(req) == 200
    replicas.wait_replies([thread])
    assert replicas.quiet() == dict.fromkeys([*threads, thread], 1)
    assert replicas.pending_jobs() == 0


def test_a_lone_replica_killed_answers_what_it_had_acked_once_restarted(
        replicas: Cluster) -> None:
    replicas.b.stop()  # graceful; a is alone on the database, as one SQLite replica is
    events = [mention() for _ in range(60)]
    refused = burst_then_kill(replicas, replicas.a, events)
    replicas.a.start()  # the same database: its acked questions are still there
    replicas.a.wait_ready()
    assert set(send_all([(replicas.a, req, 1) for _, req in refused])) == {200}
    slack_retries_later(replicas.a, refused)
    threads = [thread for thread, _ in events]
    replicas.wait_replies(threads, timeout=LEASE_S + 20)
    assert replicas.quiet() == dict.fromkeys(threads, 1)
    assert replicas.pending_jobs() == 0


Event = tuple[str, payloads.SlackRequest]


def burst_then_kill(cluster: Cluster, replica: Replica, events: list[Event]) -> list[Event]:
    """Send `events` to `replica` while Slack holds its answers to the posts, and SIGKILL
    it once it has acked more than it can have answered; the events it never acked."""
    cluster.api.hold_method("chat.postMessage")
    statuses: dict[str, int] = {}

    def send(event: Event) -> None:
        try:
            statuses[event[0]] = replica.send(event[1])
        except httpx.TransportError:
            statuses[event[0]] = 0  # it died first

    with ThreadPoolExecutor(16) as pool:
        for event in events:
            pool.submit(send, event)
        deadline = time.monotonic() + 20
        while (sum(s == 200 for s in list(statuses.values())) < KILL_AFTER_ACKS
               and len(statuses) < len(events) and time.monotonic() < deadline):
            time.sleep(0.005)
        cluster.api.wait_for("chat.postMessage", 1)
        replica.kill()  # posts in flight, answers unrecorded, acked events not yet taken
        posted = set(cluster.replies())
    cluster.api.release("chat.postMessage")
    acked = [e for e in events if statuses.get(e[0]) == 200]
    refused = [e for e in events if statuses.get(e[0]) != 200]
    assert [e for e in acked if e[0] not in posted], "it had answered all it acked"
    return refused


def slack_retries_later(replica: Replica, refused: list[Event]) -> None:
    """Slack's next retry of the events whose delivery failed (a minute later in Slack,
    here once the dead replica's heartbeat has run out): one the dead replica had marked
    seen but not yet stored is answered now; the others are duplicates."""
    time.sleep(LEASE_S + 0.5)
    # (None refused when the replica had acked the whole burst before it was killed.)
    assert all(status == 200 for status in send_all([(replica, req, 2) for _, req in refused]))


@pytest.mark.skipif(ENV not in os.environ, reason=f"{ENV} is not set: no PostgreSQL server")
def test_postgresql_restarted_under_load_acks_meanwhile_and_answers_none_twice(
        tmp_path: Path) -> None:
    """The database goes away mid-burst (a proxy stands in for a restart) and comes back:
    every event is acked meanwhile, each is answered at most once and those asked after
    the restart exactly once, and the log says what could not be recorded."""
    from urllib.parse import urlsplit

    from tests.store.proxy import TcpProxy

    with PostgresRun(os.environ[ENV]) as run:
        direct = run.fresh_url()
        Store(direct).close()  # migrated before the replica starts
        netloc = urlsplit(direct).netloc
        host = netloc.rpartition("@")[2]
        with TcpProxy((host.split(":")[0], int(host.split(":")[1]) if ":" in host else 5432)
                      ) as proxy:
            url = direct.replace(netloc, f"{netloc.rpartition('@')[0]}@127.0.0.1:{proxy.port}")
            api = LocalSlackAPI(keep_threads=True).start()
            replica = Replica("solo", url, api, tmp_path).start()
            try:
                replica.wait_ready()
                before = [mention() for _ in range(10)]
                assert set(send_all([(replica, req, None) for _, req in before])) == {200}
                proxy.down()
                during = [mention() for _ in range(10)]
                assert set(send_all([(replica, req, None) for _, req in during])) == {200}
                time.sleep(1.0)
                proxy.up()
                after = [mention() for _ in range(10)]
                # The pool may need a moment to notice the server is back.
                deadline = time.monotonic() + 15
                statuses = send_all([(replica, req, None) for _, req in after])
                assert set(statuses) == {200}
                threads = [t for t, _ in (*before, *after)]
                got: Counter[str] = Counter()
                while time.monotonic() < deadline:
                    got = Counter(str(c.params["thread_ts"])
                                  for c in api.calls_to("chat.postMessage")
                                  if c.params.get("thread_ts"))
                    if all(got[t] for t in threads):
                        break
                    time.sleep(0.1)
                time.sleep(1.0)
                got = Counter(str(c.params["thread_ts"]) for c in api.calls_to("chat.postMessage")
                              if c.params.get("thread_ts"))
                assert all(got[t] == 1 for t in threads), (got, replica.log_tail())
                assert all(got[t] <= 1 for t, _ in during)
                log = (tmp_path / "solo.log").read_text()
                assert "store" in log and ("store_failed" in log or "not_stored" in log), \
                    log[-2000:]
            finally:
                replica.close()
                api.stop()

"""GET /metrics: Prometheus' text format, unsigned, counting what Slack sent and what the bot
answered, and never carrying a paste, an id or a secret.

The real bolt app over real signed HTTP (tests/fakes/slack_bot.py) and over real
websockets (tests/fakes/slack_socket.py); the text is read back with prometheus_client's
own parser. The process's counters are shared by every app in it, so each test reads
them before and after and compares.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from pathlib import Path
from urllib.parse import parse_qsl

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot import metrics
from bot.answers import Asked, answer
from bot.catalog.load import load_catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.errors import ConfigError
from bot.metrics import Metrics
from bot.slack import ids
from bot.slack.app import build_app
from bot.slack.socket_mode import SocketMode, metrics_port, start_ops_listener
from bot.store import Store
from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_api import APP_TOKEN, BOT_TOKEN, LocalSlackAPI
from tests.fakes.slack_bot import SECRET, BotServer
from tests.fakes.slack_socket import LocalSocketMode

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]

FAMILIES = {
    "errcode_slack_requests", "errcode_slack_acks", "errcode_slack_rejected",
    "errcode_slack_ack_seconds", "errcode_slack_duplicate_events", "errcode_answers",
    "errcode_answer_delivery_failures", "errcode_answer_seconds", "errcode_shed",
    "errcode_queue_depth", "errcode_health_status", "errcode_health_watch_leading",
    "errcode_escalations",
}


def parse(text: str) -> Samples:
    """Every sample of an exposition, by name and labels (prometheus_client's parser)."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, frozenset(labels.items())), 0.0)


def scrape(url: str) -> Samples:
    resp = httpx.get(url + "/metrics", timeout=10)
    assert resp.status_code == 200, resp.text
    assert resp.headers["content-type"].startswith("text/plain; version=0.0.4")
    return parse(resp.text)


def until(check: Callable[[], bool], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


@pytest.fixture
def bot(tmp_path: Path) -> Iterator[BotServer]:
    with BotServer(tmp_path) as server:
        yield server


def slash(bot: BotServer, text: str, name: str) -> None:
    resp = bot.send(payloads.slash_command(text, response_url=bot.api.response_url(name)))
    assert resp.status_code == 200, resp.text


def answered(bot: BotServer, name: str) -> None:
    until(lambda: any(c.params.get("_name") == name for c in bot.api.calls_to("response_url")))


# --------------------------------------------------------------------------- HTTP mode


def test_metrics_answer_unsigned_in_prometheus_text_format(bot):
    resp = httpx.get(bot.url + "/metrics", timeout=10)
    assert resp.status_code == 200
    families = {f.name for f in text_string_to_metric_families(resp.text)}
    assert families >= FAMILIES
    assert httpx.head(bot.url + "/metrics", timeout=10).status_code == 200
    assert httpx.post(bot.url + "/metrics", content=b"x", timeout=10).status_code == 405
    assert httpx.get(bot.url + "/healthz", timeout=10).json() == {"ok": True}


def test_a_signed_slash_command_moves_the_request_and_ack_counters(bot):
    before = scrape(bot.url)
    slash(bot, "RATE_LIMITED", "one")
    after = scrape(bot.url)
    for name in ("errcode_slack_requests_total", "errcode_slack_acks_total"):
        assert value(after, name, transport="http", surface="slash") == value(
            before, name, transport="http", surface="slash") + 1, name
    count = "errcode_slack_ack_seconds_count"
    assert value(after, count, transport="http", surface="slash") == value(
        before, count, transport="http", surface="slash") + 1
    total = "errcode_slack_ack_seconds_sum"
    assert 0 < (value(after, total, transport="http", surface="slash")
                - value(before, total, transport="http", surface="slash")) < 3


def test_a_bad_signature_is_counted_as_rejected_not_as_a_request(bot):
    before = scrape(bot.url)
    resp = bot.send(payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url()),
                    secret="not-the-secret")
    assert resp.status_code == 401
    after = scrape(bot.url)
    assert value(after, "errcode_slack_rejected_total", transport="http",
                 reason="signature") == value(before, "errcode_slack_rejected_total",
                                              transport="http", reason="signature") + 1
    assert value(after, "errcode_slack_requests_total", transport="http", surface="slash") == (
        value(before, "errcode_slack_requests_total", transport="http", surface="slash"))


def test_a_mention_and_a_button_are_counted_by_surface(bot):
    before = scrape(bot.url)
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    assert bot.send(event).status_code == 200
    click = payloads.block_actions(ids.ACTION_HELPFUL, value="nothing",
                                   response_url=bot.api.response_url("click"))
    assert bot.send(click).status_code == 200
    after = scrape(bot.url)
    for surface in ("mention", "button"):
        assert value(after, "errcode_slack_acks_total", transport="http", surface=surface) == (
            value(before, "errcode_slack_acks_total", transport="http", surface=surface) + 1)


def test_a_retried_event_is_counted_as_a_duplicate(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    bot.send(event)
    before = scrape(bot.url)
    assert bot.send(event, retry_num=1).status_code == 200
    after = scrape(bot.url)
    assert value(after, "errcode_slack_duplicate_events_total") == value(
        before, "errcode_slack_duplicate_events_total") + 1


def test_metrics_never_carry_the_paste_ids_or_secrets(bot):
    paste = ("ZQX_MARKER_4711 Authorization: Bearer xoxb-1234-5678-abcdefABCDEF "
             "req_9f8e7d6c password=hunter2hunter2")
    slash(bot, paste, "secret")
    bot.send(payloads.event_callback(payloads.app_mention_event(paste)))
    answered(bot, "secret")
    text = httpx.get(bot.url + "/metrics", timeout=10).text
    for leak in ("ZQX_MARKER_4711", "xoxb-", "req_9f8e7d6c", "hunter2", SECRET, BOT_TOKEN,
                 payloads.USER_ID, payloads.CHANNEL_ID, payloads.TEAM_ID):
        assert leak not in text, leak


# --------------------------------------------------------------------------- answers
# These need the answer path to report (bot.slack.jobs: `metrics.track_answer`).


def test_answers_are_counted_by_surface_and_outcome_with_their_latency(bot):
    before = scrape(bot.url)
    slash(bot, "RATE_LIMITED", "matched")
    slash(bot, "the coffee machine hums a tune nobody knows", "unmatched")
    answered(bot, "matched")
    answered(bot, "unmatched")

    def moved() -> bool:
        now = scrape(bot.url)
        return all(value(now, "errcode_answers_total", surface="slash", outcome=o) > value(
            before, "errcode_answers_total", surface="slash", outcome=o)
            for o in ("matched", "unmatched"))

    until(moved)
    after = scrape(bot.url)
    count = "errcode_answer_seconds_count"
    assert value(after, count, surface="slash") >= value(before, count, surface="slash") + 2
    spent = (value(after, "errcode_answer_seconds_sum", surface="slash")
             - value(before, "errcode_answer_seconds_sum", surface="slash"))
    assert 0 < spent < 20


def test_a_mention_answer_is_counted_once_posted_in_its_thread(bot):
    before = scrape(bot.url)
    bot.send(payloads.event_callback(payloads.app_mention_event("RATE_LIMITED")))
    until(lambda: value(scrape(bot.url), "errcode_answers_total", surface="mention",
                        outcome="matched") > value(before, "errcode_answers_total",
                                                   surface="mention", outcome="matched"))


# --------------------------------------------------------------------------- Socket Mode


@pytest.fixture
def slack() -> Iterator[tuple[LocalSlackAPI, LocalSocketMode]]:
    with LocalSlackAPI() as api, LocalSocketMode(api) as sockets:
        yield api, sockets


def test_socket_mode_acks_are_counted_and_served_on_the_ops_port(tmp_path, slack):
    api, sockets = slack
    settings = Settings(storage_path=tmp_path / "errcode.db", slack=SlackSettings(
        bot_token=BOT_TOKEN, app_token=APP_TOKEN, api_url=api.base_url))
    store = Store(settings.storage_path)
    socket_mode = SocketMode(build_app(Core.load(settings, load_catalog(None), store)),
                             APP_TOKEN, backoff_s=(0.2,))
    listener = start_ops_listener("127.0.0.1", 0)
    assert listener is not None
    url = f"http://127.0.0.1:{listener.port}"
    thread = threading.Thread(target=socket_mode.serve, daemon=True)
    thread.start()
    try:
        before = scrape(url)
        form = payloads.slash_command("RATE_LIMITED", response_url=api.response_url("sock"))
        sockets.wait_ack(sockets.send("slash_commands", dict(parse_qsl(form.body))))
        until(lambda: value(scrape(url), "errcode_slack_acks_total", transport="socket",
                            surface="slash") == value(before, "errcode_slack_acks_total",
                                                      transport="socket", surface="slash") + 1)
        after = scrape(url)
        assert value(after, "errcode_slack_ack_seconds_count", transport="socket",
                     surface="slash") > value(before, "errcode_slack_ack_seconds_count",
                                              transport="socket", surface="slash")
        assert httpx.get(url + "/healthz", timeout=10).status_code == 200
        assert httpx.get(url + "/slack/events", timeout=10).status_code == 404
        assert httpx.post(url + "/metrics", timeout=10).status_code in (405, 413)
    finally:
        socket_mode.close()
        thread.join(5)
        listener.close()
        store.close()


def test_no_ops_listener_without_a_port():
    assert start_ops_listener("127.0.0.1", None) is None


def test_the_ops_port_comes_from_the_flag_else_the_environment():
    assert metrics_port(None, {}) is None
    assert metrics_port(None, {"ERRCODE_METRICS_PORT": " 9090 "}) == 9090
    assert metrics_port(9100, {"ERRCODE_METRICS_PORT": "9090"}) == 9100
    for bad in ("http", "0", "70000", "-1"):
        with pytest.raises(ConfigError, match="ERRCODE_METRICS_PORT"):
            metrics_port(None, {"ERRCODE_METRICS_PORT": bad})


# --------------------------------------------------------------------------- the recorders


def own() -> tuple[Metrics, Callable[[], Samples]]:
    """A registry of its own: counts from zero, apart from the process's."""
    m = Metrics()
    return m, lambda: parse(m.text().decode())


def test_registries_are_apart_from_each_other_and_from_the_global_one():
    from prometheus_client import REGISTRY

    a, read_a = own()
    _, read_b = own()
    a.escalation("packet")
    assert value(read_a(), "errcode_escalations_total", stage="packet") == 1
    assert value(read_b(), "errcode_escalations_total", stage="packet") == 0
    assert REGISTRY.get_sample_value("errcode_escalations_total", {"stage": "packet"}) is None


def test_track_answer_counts_when_slack_took_it_and_fails_when_not(tmp_path):
    m, read = own()
    core = Core.load(Settings(storage_path=tmp_path / "s.db"), load_catalog(None),
                     Store(tmp_path / "s.db"))
    matched = answer(core, Asked(text="RATE_LIMITED", channel="C1", user="U1", surface="slash"))
    unmatched = answer(core, Asked(text="the kettle sings", channel="C1", user="U1",
                                   surface="slash"))
    pending: Future = Future()
    m.track_answer(pending, surface="slash", answer=matched, received_at=time.time() - 2)
    assert value(read(), "errcode_answers_total", surface="slash", outcome="matched") == 0
    pending.set_result(httpx.Response(200))  # a WebhookResponse-like status_code
    m.track_answer(True, surface="mention", answer=unmatched, received_at=None)
    failed: Future = Future()
    m.track_answer(failed, surface="dm", answer=matched, received_at=time.time())
    failed.set_exception(RuntimeError("slack down"))
    m.track_answer(False, surface="shortcut", answer=None, received_at=time.time())
    samples = read()
    assert value(samples, "errcode_answers_total", surface="slash", outcome="matched") == 1
    assert value(samples, "errcode_answer_seconds_count", surface="slash") == 1
    assert 2 <= value(samples, "errcode_answer_seconds_sum", surface="slash") < 10
    assert value(samples, "errcode_answers_total", surface="mention", outcome="unmatched") == 1
    assert value(samples, "errcode_answer_delivery_failures_total", surface="dm") == 1
    assert value(samples, "errcode_answer_delivery_failures_total", surface="shortcut") == 1
    core.store and core.store.close()


def test_labels_outside_the_fixed_sets_are_folded(tmp_path):
    m, read = own()
    m.track_answer(True, surface="U0SECRET", answer=None, received_at=None)
    m.shed_work("whatever", "nope")
    m.escalation("C0CHANNEL")
    text = m.text().decode()
    assert "U0SECRET" not in text and "C0CHANNEL" not in text and "whatever" not in text
    samples = read()
    assert value(samples, "errcode_answers_total", surface="other", outcome="other") == 1
    assert value(samples, "errcode_shed_total", queue="answer", reason="queue_full") == 1


def test_queue_depth_is_read_when_scraped_and_a_failing_queue_is_left_out():
    m, read = own()
    depth = [3]
    m.watch_queue_depth("answer", lambda: depth[0])
    m.watch_queue_depth("slow", lambda: 1 / 0)
    assert value(read(), "errcode_queue_depth", queue="answer") == 3
    depth[0] = 7
    samples = read()
    assert value(samples, "errcode_queue_depth", queue="answer") == 7
    assert ("errcode_queue_depth", frozenset({("queue", "slow")})) not in samples


def test_health_status_is_one_for_the_current_word_and_cleared_when_not_leading():
    m, read = own()
    m.health_watch_leading(True)
    m.health_status("prod", "degraded")
    m.health_status("prod", "unreachable")
    samples = read()
    assert value(samples, "errcode_health_status", target="prod", status="unreachable") == 1
    assert value(samples, "errcode_health_status", target="prod", status="degraded") == 0
    assert value(samples, "errcode_health_watch_leading") == 1
    m.health_watch_leading(False)
    samples = read()
    assert not [k for k in samples if k[0] == "errcode_health_status"]
    assert value(samples, "errcode_health_watch_leading") == 0


def test_surfaces_come_from_the_payload_type_only():
    assert metrics.surface_of({"command": "/errcode", "text": "x"}) == "slash"
    assert metrics.surface_of({"type": "event_callback",
                               "event": {"type": "app_mention"}}) == "mention"
    assert metrics.surface_of({"type": "event_callback",
                               "event": {"type": "message", "channel_type": "im"}}) == "dm"
    assert metrics.surface_of({"type": "event_callback",
                               "event": {"type": "reaction_added"}}) == "event"
    assert metrics.surface_of({"type": "message_action"}) == "shortcut"
    assert metrics.surface_of({"type": "block_actions"}) == "button"
    assert metrics.surface_of({"type": "view_submission"}) == "view"
    assert metrics.surface_of({"type": "url_verification"}) == "other"
    assert metrics.surface_of(None) == "other"

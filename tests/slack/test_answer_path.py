"""The answer path under load, as people see it: answers keep going out while Slack is slow
to take earlier ones, over kept-alive connections; past the queue's bound a person is told
at once to try again, instead of getting an answer minutes late.

Real bolt over real signed HTTP; "Slack is slow" is the stand-in holding its answer to
chosen response_url posts (`hold` / `release`), so nothing here depends on timing.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bot.slack import stored_queue
from bot.slack.http import MAX_BODY_BYTES, QueueDepthLog
from bot.slack.workers import BUSY
from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_bot import SECRET, BotServer


@pytest.fixture
def bot(tmp_path) -> Iterator[BotServer]:
    with BotServer(tmp_path) as server:
        yield server


def slash(bot: BotServer, name: str, text: str = "RATE_LIMITED") -> httpx.Response:
    """`/errcode text`, answered to response_url `name`; the ack."""
    resp = bot.send(payloads.slash_command(text, response_url=bot.api.response_url(name)))
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp


def posts_to(bot: BotServer, name: str, count: int = 1, timeout: float = 10) -> list[dict]:
    """The posts to response_url `name` (decoded), once `count` have reached Slack."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [{k: c.param_json(k) for k in c.params} for c in bot.api.calls_to("response_url")
                if c.params.get("_name") == name]
        if len(mine) >= count or time.monotonic() > deadline:
            assert len(mine) >= count, f"{len(mine)} of {count} posts to {name}"
            return mine
        time.sleep(0.02)


def drained(bot: BotServer, timeout: float = 10) -> None:
    """Until no answer is waiting or running."""
    assert bot.workers is not None
    deadline = time.monotonic() + timeout
    while bot.workers.answers.pending and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not bot.workers.answers.pending


def settle(bot: BotServer) -> None:
    """A sentinel answer through the same queue, so what was queued before it has run."""
    slash(bot, "sentinel", "help")
    posts_to(bot, "sentinel")


def test_answers_go_out_while_slack_is_still_taking_earlier_ones(tmp_path):
    """Waiting on Slack holds no CPU worker: with one worker and three answers stuck at
    Slack, the next answer is still computed and posted."""
    with BotServer(tmp_path, workers={"cpu_workers": 1}) as bot:
        bot.api.hold("stuck")
        for _ in range(3):
            slash(bot, "stuck")
        posts_to(bot, "stuck", 3)  # all three reached Slack, none answered yet
        slash(bot, "next", "CSRF_INVALID")
        assert "CSRF_INVALID" in posts_to(bot, "next")[0]["text"]


def test_answers_reuse_one_kept_alive_connection(bot):
    for i in range(5):
        slash(bot, f"k{i}")
        posts_to(bot, f"k{i}")
        drained(bot)  # the post is done: its connection is back in the pool
    peers = {c.peer for c in bot.api.calls_to("response_url")}
    assert len(peers) == 1, peers


def test_web_api_calls_reuse_one_kept_alive_connection(bot):
    for i in range(4):
        bot.send(payloads.event_callback(payloads.app_mention_event("RATE_LIMITED")))
        bot.api.wait_for("chat.postMessage", i + 1)
        drained(bot)
    peers = {c.peer for c in bot.api.calls_to("chat.postMessage")}
    assert len(peers) == 1, peers


def test_past_the_bound_a_slash_command_is_told_busy_in_its_ack(tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="errcode")
    with BotServer(tmp_path, workers={"answer_queue": 2}) as bot:
        bot.api.hold("stuck")
        assert slash(bot, "stuck").text == slash(bot, "stuck").text == ""
        posts_to(bot, "stuck", 2)  # both running, waiting on Slack: the queue is full
        busy = slash(bot, "shed")
        assert busy.json() == {"text": BUSY, "response_type": "ephemeral"}
        assert "event=shed" in caplog.text and "queue=answer" in caplog.text
        bot.api.release("stuck")
        drained(bot)
        assert slash(bot, "later").text == ""  # room again once Slack took the answers
        assert "RATE_LIMITED" in posts_to(bot, "later")[0]["text"]
        settle(bot)
        assert not [c for c in bot.api.calls_to("response_url")
                    if c.params.get("_name") == "shed"]  # told busy once, in the ack only


def test_past_the_bound_a_mention_gets_a_private_busy_note_in_its_thread(tmp_path):
    with BotServer(tmp_path, workers={"answer_queue": 1}) as bot:
        bot.api.hold("stuck")
        slash(bot, "stuck")
        posts_to(bot, "stuck")
        event = payloads.app_mention_event("RATE_LIMITED")
        assert bot.send(payloads.event_callback(event)).status_code == 200
        note = bot.api.wait_for("chat.postEphemeral")[0].params
        assert (note["text"], note["user"], note["channel"], note["thread_ts"]) == (
            BUSY, event["user"], event["channel"], event["ts"])
        assert not bot.api.calls_to("chat.postMessage")


def test_past_the_bound_a_button_gets_busy_through_its_response_url(tmp_path):
    with BotServer(tmp_path, workers={"answer_queue": 1}) as bot:
        slash(bot, "first")
        helpful = next(e for b in posts_to(bot, "first")[0]["blocks"] if b["type"] == "actions"
                       for e in b["elements"] if e["action_id"] == "feedback_helpful")
        bot.api.hold("stuck")
        slash(bot, "stuck")
        posts_to(bot, "stuck")
        click = payloads.block_actions(helpful["action_id"], helpful["value"], is_ephemeral=True,
                                       response_url=bot.api.response_url("click"))
        assert bot.send(click).status_code == 200
        note = posts_to(bot, "click")[0]
        assert note["text"] == BUSY and note["response_type"] == "ephemeral"
        assert note["replace_original"] is False  # the answer it was under stays


def test_an_answer_that_waited_past_its_deadline_becomes_a_busy_note(tmp_path):
    with BotServer(tmp_path, workers={"max_wait_s": 0.0}) as bot:  # every answer is late
        slash(bot, "late")
        late = posts_to(bot, "late")[0]
        assert late["text"] == BUSY and late["response_type"] == "ephemeral"
        assert late["replace_original"] is False


def test_a_chunked_body_over_the_cap_is_refused_while_streaming(bot):
    chunk = b"x" * 65536

    def body() -> Any:
        for _ in range(MAX_BODY_BYTES // len(chunk) + 2):
            yield chunk

    headers = {"Content-Type": "application/json", "Transfer-Encoding": "chunked"}
    try:
        status = httpx.post(bot.url + "/slack/events", content=body(), headers=headers,
                            timeout=10).status_code
    except httpx.TransportError:  # refused and hung up on before the body was all sent
        status = 413
    assert status == 413
    assert slash(bot, "after").text == ""


def test_a_declared_oversized_body_is_refused_before_it_is_sent(bot):
    """The 413 comes back on the headers alone: not a byte of the body is waited for."""
    host, port = bot.url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=5) as s:
        s.sendall(b"POST /slack/events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                  + f"Content-Length: {MAX_BODY_BYTES * 8}\r\n\r\n".encode())
        assert s.recv(64).startswith(b"HTTP/1.1 413")
    signed = payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url("ok"))
    assert bot.send(signed, secret=SECRET).status_code == 200


def test_a_busy_server_says_its_queue_depth_once_a_second_not_per_request(caplog):
    """waitress says "Task queue depth is N" for every request that finds its threads
    busy: under load a line per request from the server's one I/O thread."""
    caplog.set_level(logging.WARNING, logger="errcode.http")
    depth_log = QueueDepthLog(every_s=60)
    for depth in (3, 9, 4, *range(200)):
        depth_log.warning("Task queue depth is %d", depth)
    lines = [r.getMessage() for r in caplog.records if "http_queued" in r.getMessage()]
    assert lines == ["event=http_queued depth=3 deepest=3 queued_since_last=1"]
    depth_log.every_s = 0
    depth_log.warning("Task queue depth is %d", 5)
    assert caplog.records[-1].getMessage() == (
        "event=http_queued depth=5 deepest=199 queued_since_last=203")


def test_the_server_logs_its_queue_depth_through_errcode(bot):
    assert isinstance(bot._server.task_dispatcher.queue_logger, QueueDepthLog)


def test_right_after_a_refusal_questions_are_told_busy_without_being_stored(tmp_path,
                                                                            monkeypatch):
    """Under overload most acks are shed: once the store said the bound is reached, the
    next questions are told busy at once, not redacted and stored to be refused again."""
    monkeypatch.setattr(stored_queue, "SHED_WINDOW_S", 30.0)
    with BotServer(tmp_path, workers={"answer_queue": 1}) as bot:
        bot.api.hold("stuck")
        slash(bot, "stuck")
        posts_to(bot, "stuck")
        queue = bot.workers.answers
        assert isinstance(queue, stored_queue.StoredQueue)
        tries = []
        add_job = queue.store.add_job
        monkeypatch.setattr(queue.store, "add_job",
                            lambda *a, **k: tries.append(1) or add_job(*a, **k))
        busy = {"text": BUSY, "response_type": "ephemeral"}
        assert slash(bot, "shed1").json() == busy  # the store refused it
        assert slash(bot, "shed2").json() == busy  # told at once
        assert slash(bot, "shed3").json() == busy
        assert len(tries) == 1
        assert queue.store.pending_jobs("answer") == 1
        bot.api.release("stuck")


def full_bot(tmp_path, monkeypatch) -> Iterator[BotServer]:
    """A bot whose answer queue (bound 1) refused a question a moment ago, and stays
    "full" for 30 s: its only answer is held by Slack."""
    monkeypatch.setattr(stored_queue, "SHED_WINDOW_S", 30.0)
    with BotServer(tmp_path, workers={"answer_queue": 1}) as bot:
        bot.api.hold("stuck")
        slash(bot, "stuck")
        posts_to(bot, "stuck")
        assert slash(bot, "refused").json()["text"] == BUSY  # the store refused it
        yield bot
        bot.api.release("stuck")


def test_while_full_a_forged_slash_command_is_refused_not_told_busy(tmp_path, monkeypatch):
    for bot in full_bot(tmp_path, monkeypatch):
        req = payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url("x"))
        forged = bot.send(req, secret="not-the-signing-secret")
        assert forged.status_code == 401
        stale = bot.send(req, timestamp=int(time.time()) - 600)  # a replay, 10 min old
        assert stale.status_code == 401
        assert slash(bot, "signed").json()["text"] == BUSY


def test_while_answers_are_full_a_health_check_still_goes_to_its_own_queue(tmp_path,
                                                                         monkeypatch):
    for bot in full_bot(tmp_path, monkeypatch):
        ack = slash(bot, "health", "health")
        assert BUSY not in ack.text
        assert "health" in posts_to(bot, "health")[0]["text"].lower()


def test_while_full_a_slash_command_saying_payload_is_told_busy_as_bolt_would(tmp_path,
                                                                            monkeypatch):
    """The early ack reads the form itself: a paste with "payload=" in it is still a
    slash command (bolt's own reading of such bodies is mended in bot.slack.http)."""
    for bot in full_bot(tmp_path, monkeypatch):
        assert slash(bot, "p", "invalid payload=abc").json()["text"] == BUSY
        ack = bot.send(payloads.slash_command("RATE_LIMITED", command="/other",
                                              response_url=bot.api.response_url("o")))
        assert ack.status_code in (200, 404) and BUSY not in ack.text  # not ours: bolt's

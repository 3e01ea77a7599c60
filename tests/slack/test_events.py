"""Every event Slack may send gets a 200: its rate-limit notice, events with no listener of
their own, and messages with files, whose text files and snippets are read and triaged.

Real bolt over real signed HTTP; files are served by the local Slack stand-in, as Slack
serves them (url_private, bot token), and found through files.info when an event carries
only their id.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator

import pytest

from bot.slack.listeners.events import IMAGES_ONLY
from tests.fakes import slack_payloads as payloads
from tests.fakes.servers import LocalServer, Reply
from tests.fakes.slack_bot import BotServer

LOG_WITH_ERROR = b"""2026-04-30T12:00:01Z INFO start sync job=42
2026-04-30T12:00:02Z ERROR upstream answered 429
{"error":"RATE_LIMITED","message":"Too many requests","request_id":"req_snip1234"}
2026-04-30T12:00:03Z INFO retrying
"""
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def bot(tmp_path) -> Iterator[BotServer]:
    with BotServer(tmp_path) as server:
        yield server


def send_ok(bot: BotServer, event: dict) -> None:
    resp = bot.send(payloads.event_callback(event))
    assert resp.status_code == 200, (resp.status_code, resp.text)


def answer(bot: BotServer) -> dict:
    call = bot.api.wait_for("chat.postMessage", timeout=10)[0]
    return {k: call.param_json(k) for k in call.params}


def test_app_rate_limited_gets_a_200_and_a_warning(bot, caplog):
    caplog.set_level(logging.WARNING, logger="errcode")
    resp = bot.send(payloads.app_rate_limited(1518467820))
    assert resp.status_code == 200
    assert "event=app_rate_limited" in caplog.text and "1518467820" in caplog.text


def test_app_rate_limited_must_still_be_signed(bot):
    resp = bot.send(payloads.app_rate_limited(), secret="not-the-signing-secret")
    assert resp.status_code == 401


@pytest.mark.parametrize("event", [
    {"type": "reaction_added", "user": "U0USER", "reaction": "eyes",
     "item": {"type": "message", "channel": "C0CHAN", "ts": "1714478400.000100"},
     "event_ts": "1714478401.000200"},
    {"type": "app_home_opened", "user": "U0USER", "channel": "D0DM", "tab": "messages",
     "event_ts": "1714478401.000300"},
])
def test_an_event_with_no_listener_of_its_own_gets_a_200_and_no_reply(bot, event):
    send_ok(bot, event)
    send_ok(bot, payloads.message_im_event("RATE_LIMITED"))  # a sentinel through the same queue
    answer(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


def test_a_text_file_shared_in_a_dm_is_triaged_with_the_message(bot):
    bot.api.add_file("F0LOG1", "sync.log", LOG_WITH_ERROR)
    event = payloads.with_files(payloads.message_im_event("our sync job fails, log attached"),
                                [bot.api.file_object("F0LOG1")])
    send_ok(bot, event)
    out = answer(bot)
    assert "RATE_LIMITED" in out["text"]
    assert "req_snip1234" in json.dumps(out["blocks"])  # read from the file, not the text
    assert out["thread_ts"] == event["ts"]
    download = bot.api.wait_for("download")[0]
    assert download.headers["authorization"] == f"Bearer {bot.api.client().token}"


def test_a_snippet_shared_with_a_mention_is_read_through_files_info(bot):
    bot.api.add_file("F0SNIP", "Untitled", LOG_WITH_ERROR)
    event = payloads.with_files(payloads.app_mention_event("what does this mean?"),
                                [payloads.file_by_id("F0SNIP")])
    send_ok(bot, event)
    out = answer(bot)
    assert "RATE_LIMITED" in out["text"]
    assert bot.api.wait_for("files.info")[0].params["file"] == "F0SNIP"


def test_an_image_alone_gets_a_note_that_text_is_needed(bot):
    bot.api.add_file("F0IMG1", "screenshot.png", PNG, filetype="png")
    send_ok(bot, payloads.with_files(payloads.message_im_event(""),
                                     [bot.api.file_object("F0IMG1")]))
    assert answer(bot)["text"] == IMAGES_ONLY
    assert not bot.api.calls_to("download")  # an image is not fetched


def test_an_image_with_a_question_gets_the_answer_and_a_note_naming_the_image(bot):
    bot.api.add_file("F0IMG2", "error dialog.png", PNG, filetype="png")
    send_ok(bot, payloads.with_files(payloads.app_mention_event("RATE_LIMITED after deploy"),
                                     [bot.api.file_object("F0IMG2")]))
    out = answer(bot)
    assert "RATE_LIMITED" in out["text"]
    notes = [e["text"] for b in out["blocks"] if b["type"] == "context" for e in b["elements"]]
    assert any("error dialog.png" in n and "text" in n for n in notes)


def test_a_file_hosted_anywhere_but_slack_is_never_fetched(bot):
    with LocalServer() as elsewhere:
        elsewhere.route("/files/F0EVIL", Reply.json({"error": "RATE_LIMITED"}))
        bot.api.add_file("F0EVIL", "sync.log", LOG_WITH_ERROR)
        planted = {**bot.api.file_object("F0EVIL"),
                   "url_private": f"{elsewhere.url}/files/F0EVIL",
                   "url_private_download": f"{elsewhere.url}/files/F0EVIL"}
        send_ok(bot, payloads.with_files(payloads.message_im_event("see the log"), [planted]))
        out = answer(bot)
        assert not elsewhere.requests
    assert "sync.log" in json.dumps(out["blocks"])  # said unread, not silently dropped


def test_an_edited_dm_is_not_answered_again(bot):
    edit = {**payloads.message_im_event("RATE_LIMITED"), "subtype": "message_changed"}
    send_ok(bot, edit)
    send_ok(bot, payloads.message_im_event("CSRF_INVALID"))  # the sentinel
    assert "CSRF_INVALID" in answer(bot)["text"]
    assert len(bot.api.calls_to("chat.postMessage")) == 1

"""Escalation privacy: a thread in a direct message is announced in the escalation channel
without any of its text until the person escalating shares it; whoever pasted secrets
into an escalated thread is told privately how many were hidden.

The real app over signed HTTP, threads served by the local Slack API (as in
test_escalation_slack.py).
"""

from __future__ import annotations

import json
import re
import time

import pytest

from bot.slack.ids import ACTION_SHARE_PACKET, SHORTCUT_ESCALATE
from tests.fakes import escalation_thread as fx
from tests.fakes import slack_payloads as payloads
from tests.fakes.slack_api import RecordedCall
from tests.fakes.slack_bot import BotServer

ESC_CHANNEL = "C_ESCALATIONS"
DM, CHANNEL = "D_CUST", "C_SUPPORT"
PARENT_TS = f"{fx.T0}.000000"
FROM_THE_THREAD = (*fx.SCAI_CODES, *fx.SCAI_REQUEST_IDS, "An unexpected error occurred",
                   "Too many requests", "ttl_seconds", "crm", "ScaiVault: ")


@pytest.fixture
def bot(tmp_path):
    with BotServer(tmp_path, escalation_channel=ESC_CHANNEL) as server:
        api = server.api
        api.add_file(fx.FILE_ID, "sync.log", fx.LOG_FILE.encode())
        thread = fx.scai_thread(DM, api.file_url(fx.FILE_ID))
        api.add_thread(DM, PARENT_TS, [{**m, "user": "U_CUST"} for m in thread])
        api.add_thread(CHANNEL, PARENT_TS, fx.scai_thread(CHANNEL, api.file_url(fx.FILE_ID)))
        yield server


def escalate_dm(bot: BotServer, user: str = "U_CUST") -> None:
    message = {"ts": PARENT_TS, "thread_ts": PARENT_TS, "user": user, "text": "x"}
    req = payloads.message_action(message, callback_id=SHORTCUT_ESCALATE, channel_id=DM,
                                  user_id=user, response_url=bot.api.response_url())
    assert bot.send(req).status_code == 200
    bot.api.wait_for("files.completeUploadExternal", timeout=15)


def decoded(call: RecordedCall) -> dict:
    return {k: call.param_json(k) for k in call.params}


def posts_in(bot: BotServer, channel: str) -> list[dict]:
    return [decoded(c) for c in bot.api.calls_to("chat.postMessage")
            if c.params.get("channel") == channel]


def share_button(bot: BotServer, user: str = "U_CUST") -> dict:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for c in bot.api.calls_to("chat.postEphemeral"):
            p = decoded(c)
            for block in p.get("blocks") or []:
                for e in block.get("elements") or []:
                    if e.get("action_id") == ACTION_SHARE_PACKET and p["user"] == user:
                        return e
        time.sleep(0.05)
    raise AssertionError("no Share packet button")


def press_share(bot: BotServer, button: dict, *, user: str = "U_CUST", name: str = "share"
                ) -> dict:
    req = payloads.block_actions(ACTION_SHARE_PACKET, button["value"], channel_id=DM,
                                 user_id=user, is_ephemeral=True,
                                 response_url=bot.api.response_url(name))
    assert bot.send(req).status_code == 200
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        told = [c for c in bot.api.calls_to("response_url") if c.params.get("_name") == name]
        if told:
            return decoded(told[0])
        time.sleep(0.05)
    raise AssertionError("the click was not answered")


def test_a_dm_escalation_is_announced_without_any_text_from_the_dm(bot):
    escalate_dm(bot)
    [upload_md] = [f for f in bot.api.uploaded_files() if f.filename.endswith(".md")]
    assert (upload_md.channel_id, upload_md.thread_ts) == (DM, PARENT_TS)  # stays in the DM
    share_button(bot)
    [notice] = posts_in(bot, ESC_CHANNEL)
    said = json.dumps(notice)
    assert "direct message" in notice["text"] and "<@U_CUST>" in notice["text"]
    assert re.search(r"ESC-\d+ v1 \(ScaiVault\), \d+ errors", notice["text"])
    assert "archives/" not in said  # no link into a conversation others cannot open
    for pasted in FROM_THE_THREAD:
        assert pasted not in said, pasted


def test_share_puts_the_packet_in_the_escalation_channel_under_its_notice(bot):
    escalate_dm(bot)
    button = share_button(bot)
    assert button["text"]["text"] == "Share packet in the escalation channel"
    [notice] = posts_in(bot, ESC_CHANNEL)
    told = press_share(bot, button)
    assert told["response_type"] == "ephemeral" and ESC_CHANNEL in told["text"]
    bot.api.wait_for("files.completeUploadExternal", 2, timeout=15)
    shared = [f for f in bot.api.uploaded_files() if f.channel_id == ESC_CHANNEL]
    assert sorted(f.filename[-3:] for f in shared) == [".md", "son"]
    [notice_ts] = {f.thread_ts for f in shared}  # in the thread of the notice
    assert notice_ts and notice_ts != PARENT_TS and notice_ts in button["value"]
    assert "shared from a direct message by <@U_CUST>" in (shared[0].initial_comment or "")
    in_dm = {f.filename: f.content for f in bot.api.uploaded_files() if f.channel_id == DM}
    for f in shared:
        assert f.content == in_dm[f.filename]  # the same packet, already redacted
    for secret in fx.SECRETS:
        assert all(secret.encode() not in (f.content or b"") for f in shared)
    assert notice  # the notice stays as it was


def test_a_packet_is_shared_once_and_only_by_who_escalated(bot):
    escalate_dm(bot)
    button = share_button(bot)
    other = press_share(bot, button, user="U_OTHER", name="other")
    assert "Only <@U_CUST>" in other["text"]
    press_share(bot, button, name="first")
    again = press_share(bot, button, name="again")
    assert "already shared" in again["text"]
    time.sleep(0.3)
    shared = [f for f in bot.api.uploaded_files() if f.channel_id == ESC_CHANNEL]
    assert len(shared) == 2  # one .md and one .json


def test_a_channel_escalation_is_announced_with_its_summary_and_no_share_offer(bot):
    event = payloads.app_mention_event("escalate", channel=CHANNEL, user="U_SUPPORT",
                                       thread_ts=PARENT_TS)
    assert bot.send(payloads.event_callback(event)).status_code == 200
    bot.api.wait_for("files.completeUploadExternal", timeout=15)
    deadline = time.monotonic() + 10
    while not posts_in(bot, ESC_CHANNEL) and time.monotonic() < deadline:
        time.sleep(0.05)
    [announcement] = posts_in(bot, ESC_CHANNEL)
    assert "ESC-" in announcement["text"] and "ScaiVault" in announcement["text"]
    assert f"archives/{CHANNEL}/p" in json.dumps(announcement)
    time.sleep(0.3)
    assert ACTION_SHARE_PACKET not in json.dumps([c.params for c in bot.api.calls])


def test_everyone_whose_messages_held_secrets_is_told_privately(bot):
    event = payloads.app_mention_event("escalate", channel=CHANNEL, user="U_SUPPORT",
                                       thread_ts=PARENT_TS)
    assert bot.send(payloads.event_callback(event)).status_code == 200
    bot.api.wait_for("chat.postEphemeral", 2, timeout=15)
    notes = {c.params["user"]: decoded(c) for c in bot.api.calls_to("chat.postEphemeral")}
    cust = notes["U_CUST"]["text"]
    assert re.fullmatch(r"I hid \d+ secrets from your messages in this thread \(.+\) in "
                        r"escalation packet ESC-\d+; consider deleting those messages and "
                        r"rotating them\.", cust), cust
    assert "private key" in cust and "password" in cust
    for secret in fx.SECRETS:
        assert secret not in json.dumps(notes)
    # The escalator pasted no secret: their note is the packet's, without advice.
    assert "I hid" not in json.dumps(notes["U_SUPPORT"])

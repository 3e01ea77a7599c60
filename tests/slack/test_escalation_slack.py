"""Escalation end to end: the real app over signed HTTP, threads served by the local Slack API.

A recorded-style thread (tests/fakes/escalation_thread.py) is escalated by mention, shortcut,
button and modal submission; the uploaded Markdown and JSON are read back from the
stand-in and checked: every error and request id present, no secret, the checklist
right, one packet per thread however it is triggered.
"""

from __future__ import annotations

import json
import re

import pytest

from bot.slack.ids import ACTION_AS_IS, ACTION_COMPLETE, SHORTCUT_ESCALATE, VIEW_ESCALATE
from tests.fakes import escalation_thread as fx
from tests.fakes import slack_payloads as payloads
from tests.fakes.servers import LocalServer, Reply
from tests.fakes.slack_bot import BotServer

ESC_CHANNEL = "C_ESCALATIONS"
SCAI_CHANNEL, MAZE_CHANNEL = "C_ESC", "C_MAZE"
PARENT_TS = f"{fx.T0}.000000"


@pytest.fixture
def bot(tmp_path):
    with BotServer(tmp_path, escalation_channel=ESC_CHANNEL) as server:
        api = server.api
        api.add_file(fx.FILE_ID, "sync.log", fx.LOG_FILE.encode())
        api.add_thread(SCAI_CHANNEL, PARENT_TS,
                       fx.scai_thread(SCAI_CHANNEL, api.file_url(fx.FILE_ID)))
        api.add_thread(MAZE_CHANNEL, PARENT_TS, fx.maze_thread(MAZE_CHANNEL))
        yield server


def mention_escalate(bot: BotServer, channel: str) -> None:
    event = payloads.app_mention_event("escalate", channel=channel, user="U_SUPPORT",
                                       thread_ts=PARENT_TS)
    assert bot.send(payloads.event_callback(event)).status_code == 200


def shortcut(bot: BotServer, channel: str) -> None:
    message = {"ts": PARENT_TS, "thread_ts": PARENT_TS, "user": "U_CUST", "text": "x"}
    req = payloads.message_action(message, callback_id=SHORTCUT_ESCALATE, channel_id=channel,
                                  user_id="U_SUPPORT", response_url=bot.api.response_url())
    assert bot.send(req).status_code == 200


def packets(bot: BotServer, count: int) -> list[tuple[str, dict]]:
    """The uploaded (markdown, json) pairs, once `count` uploads have completed."""
    bot.api.wait_for("files.completeUploadExternal", count, timeout=15)
    files = bot.api.uploaded_files()
    md = [f for f in files if f.filename.endswith(".md")]
    js = [f for f in files if f.filename.endswith(".json")]
    assert len(md) == len(js) == count
    return [(m.content.decode(), json.loads(j.content)) for m, j in zip(md, js, strict=True)]


def everything_sent(bot: BotServer) -> str:
    """Every byte errcode sent to Slack: calls and uploaded files."""
    calls = json.dumps([c.params for c in bot.api.calls], default=str)
    files = "".join((f.content or b"").decode("utf-8", "replace")
                    for f in bot.api.uploaded_files())
    return calls + files


def test_mention_in_thread_builds_uploads_and_announces_the_packet(bot):
    mention_escalate(bot, SCAI_CHANNEL)
    [(md, doc)] = packets(bot, 1)
    for code in fx.SCAI_CODES:
        assert f"`{code}`" in md and code in {e["code"] for e in doc["errors"]}
    for rid in fx.SCAI_REQUEST_IDS:
        assert rid in md and rid in doc["request_ids"]
    assert fx.SCAI_FIELDS[0] in md
    assert doc["schema"] == "errcode.escalation/1" and doc["product"] == "scaivault"
    assert [c["key"] for c in doc["checklist"] if not c["done"]] == []
    assert doc["environment"] == {"deployment": "AKS", "version": "2.8.3"}
    # In the thread it came from, with a summary comment.
    upload = bot.api.uploaded_files()[0]
    assert (upload.channel_id, upload.thread_ts) == (SCAI_CHANNEL, PARENT_TS)
    assert "ESC-" in upload.completion.get("initial_comment", "")
    # Announced in the escalation channel with a link to the thread.
    post = bot.api.wait_for("chat.postMessage")[0]
    assert post.params["channel"] == ESC_CHANNEL
    assert "archives/C_ESC/p" in json.dumps(post.params)
    # The person escalating is told privately how much was redacted.
    note = bot.api.wait_for("chat.postEphemeral")[0].params
    assert note["user"] == "U_SUPPORT"
    assert re.search(r"\d+ secrets redacted", note["text"])


def test_no_secret_reaches_slack_in_any_call_or_file(bot):
    mention_escalate(bot, SCAI_CHANNEL)
    packets(bot, 1)
    bot.api.wait_for("chat.postEphemeral")
    sent = everything_sent(bot)
    for secret in fx.SECRETS:
        assert secret not in sent, secret[:12]
    assert "[REDACTED:" in sent


def test_shared_text_file_is_read_from_slack_and_its_errors_counted(bot):
    mention_escalate(bot, SCAI_CHANNEL)
    [(_, doc)] = packets(bot, 1)
    from_file = [e for e in doc["errors"] if e["source"].startswith("file sync.log")]
    assert {e["request_id"] for e in from_file} >= {"req_55aa77bb", "req_0ddba11"}
    [download] = bot.api.calls_to("download")
    assert download.params["file_id"] == fx.FILE_ID
    assert download.headers.get("authorization", "").startswith("Bearer xoxb-")


def test_files_hosted_anywhere_but_slack_are_not_fetched(bot):
    with LocalServer() as elsewhere:
        elsewhere.route("/sync.log", Reply.text(fx.LOG_FILE))
        thread = fx.scai_thread(SCAI_CHANNEL, f"{elsewhere.url}/sync.log")
        bot.api.add_thread("C_OTHER", PARENT_TS, thread)
        mention_escalate(bot, "C_OTHER")
        [(_, doc)] = packets(bot, 1)
        assert elsewhere.requests_to("/sync.log") == []
    assert "req_55aa77bb" not in doc["request_ids"]  # only in the file that was not read


def test_shortcut_opens_a_modal_asking_only_what_is_missing(bot):
    shortcut(bot, MAZE_CHANNEL)
    opened = bot.api.wait_for("views.open")[0]
    assert opened.params.get("trigger_id")
    form = bot.api.wait_for("views.update")[0].param_json("view")
    assert form["callback_id"] == VIEW_ESCALATE
    asked = [b["block_id"] for b in form["blocks"] if b["type"] == "input"]
    assert asked == ["deployment", "license_key", "contact_email"]  # version was in the thread
    assert json.loads(form["private_metadata"]) == {"channel": MAZE_CHANNEL,
                                                    "thread_ts": PARENT_TS}


def submit(bot: BotServer, values: dict[str, str | None]) -> None:
    meta = json.dumps({"channel": MAZE_CHANNEL, "thread_ts": PARENT_TS})
    req = payloads.view_submission(VIEW_ESCALATE, {k: {"value": v} for k, v in values.items()},
                                   private_metadata=meta, user_id="U_SUPPORT")
    resp = bot.send(req)
    assert resp.status_code == 200
    assert resp.json()["response_action"] == "update"  # the modal says what happens next


def test_modal_submission_fills_the_checklist_and_redacts_answers(bot):
    shortcut(bot, MAZE_CHANNEL)
    bot.api.wait_for("views.update")
    submit(bot, {"deployment": "on-premise", "license_key": "MV-2291-ACME",
                 "contact_email": "password=Hunter2Hunter2 ops@acme.io"})
    [(md, doc)] = packets(bot, 1)
    assert doc["environment"]["deployment"] == "on-premise"
    assert doc["environment"]["license_key"] == "MV-2291-ACME"
    assert "Hunter2Hunter2" not in everything_sent(bot)
    done = {c["key"]: c["done"] for c in doc["checklist"]}
    assert done["deployment"] and done["license_key"] and done["contact_email"]
    assert not done["health_output"]  # no health target configured
    assert "- [ ] **Health endpoint output" in md
    email_button = json.dumps(bot.api.wait_for("chat.postEphemeral")[-1].params)
    assert "mailto:info@mazevault.com" in email_button


def test_every_trigger_on_one_thread_versions_one_packet(bot):
    mention_escalate(bot, MAZE_CHANNEL)  # missing items: a private prompt, no packet yet
    prompt = bot.api.wait_for("chat.postEphemeral")[0].params
    assert ACTION_COMPLETE in json.dumps(prompt) and ACTION_AS_IS in json.dumps(prompt)
    click = payloads.block_actions(ACTION_AS_IS, f"{MAZE_CHANNEL}:{PARENT_TS}",
                                   channel_id=MAZE_CHANNEL, user_id="U_SUPPORT",
                                   response_url=bot.api.response_url(), is_ephemeral=True)
    assert bot.send(click).status_code == 200
    first = packets(bot, 1)[0][1]
    bot.store.release(f"escalate:{MAZE_CHANNEL}:{PARENT_TS}")  # past the double-click window
    shortcut(bot, MAZE_CHANNEL)
    bot.api.wait_for("views.update")
    submit(bot, {"deployment": "AKS"})
    second = packets(bot, 2)[1][1]
    ids = [f.filename for f in bot.api.uploaded_files()]
    assert re.fullmatch(r"(ESC-\d+)-v1\.md", ids[0])
    packet_id = ids[0].split("-v1")[0]
    assert f"{packet_id}-v2.md" in ids  # the same packet, a new version
    assert len(bot.store.list_packets()) == 1
    assert second["environment"]["deployment"] == "AKS" and "deployment" not in first[
        "environment"]


def test_double_clicked_button_makes_one_packet(bot):
    click = payloads.block_actions(ACTION_AS_IS, f"{MAZE_CHANNEL}:{PARENT_TS}",
                                   channel_id=MAZE_CHANNEL, user_id="U_SUPPORT",
                                   response_url=bot.api.response_url(), is_ephemeral=True)
    assert bot.send(click).status_code == 200
    assert bot.send(click).status_code == 200
    packets(bot, 1)
    notes = [c.params["text"] for c in bot.api.wait_for("chat.postEphemeral", 2)]
    assert any("just escalated" in n for n in notes)
    assert len(bot.api.calls_to("files.completeUploadExternal")) == 1
    assert bot.store.get_packet(bot.store.list_packets()[0].id, 2) is None


def test_escalate_button_on_a_triage_answer_starts_escalation_of_its_thread(bot):
    click = payloads.block_actions("escalate", "q1", channel_id=SCAI_CHANNEL,
                                   user_id="U_SUPPORT", thread_ts=PARENT_TS,
                                   response_url=bot.api.response_url())
    assert bot.send(click).status_code == 200
    bot.api.wait_for("views.open")
    [(md, _)] = packets(bot, 1)  # nothing missing: straight to the packet
    assert "req_9f8e7d6c" in md
    final = bot.api.wait_for("views.update")[-1].param_json("view")
    assert "ESC-" in json.dumps(final)


def test_escalate_outside_a_thread_explains_where_to_ask(bot):
    event = payloads.app_mention_event("escalate", channel=SCAI_CHANNEL)
    bot.send(payloads.event_callback(event))
    post = bot.api.wait_for("chat.postMessage")[0].params
    assert "inside" in post["text"] and "Escalate this thread" in post["text"]
    assert not bot.api.calls_to("conversations.replies")


def test_thread_the_bot_cannot_read_gets_a_clear_private_answer(bot):
    bot.api.fail_next("conversations.replies", "not_in_channel")
    mention_escalate(bot, SCAI_CHANNEL)
    note = bot.api.wait_for("chat.postEphemeral")[0].params
    assert "Could not escalate" in note["text"] and "/invite @errcode" in note["text"]
    assert not bot.api.uploaded_files()
    # Still serving: the next escalation works.
    mention_escalate(bot, SCAI_CHANNEL)
    packets(bot, 1)


def test_long_thread_is_read_across_pages(bot):
    long_thread = fx.scai_thread(SCAI_CHANNEL) + [
        fx.message(100 + i, "U_CUST", f"ping {i}") for i in range(450)]
    long_thread[-1]["text"] = ('{"error":{"code":"quota_exceeded","message":"Quota exceeded",'
                               '"request_id":"req_lastpage1"}}')
    bot.api.add_thread("C_LONG", PARENT_TS, long_thread)
    mention_escalate(bot, "C_LONG")
    [(_, doc)] = packets(bot, 1)
    assert len(bot.api.calls_to("conversations.replies")) >= 3  # 200 per page
    assert "req_lastpage1" in doc["request_ids"] and doc["messages"] == len(long_thread)


def answer_buttons(bot: BotServer, paste: str) -> list[dict]:
    bot.send(payloads.event_callback(payloads.app_mention_event(paste, channel=SCAI_CHANNEL)))
    blocks = bot.api.wait_for("chat.postMessage")[-1].param_json("blocks")
    return next(b for b in blocks if b["type"] == "actions")["elements"]


def test_escalate_button_leads_when_the_advice_says_escalate(bot):
    urgent = answer_buttons(bot, '{"error":{"code":"internal_error","message":"boom",'
                                 '"request_id":"req_12345678"}}')
    assert (urgent[0]["action_id"], urgent[0].get("style")) == ("escalate", "primary")


def test_escalate_button_is_offered_but_not_pushed_for_a_request_to_fix(bot):
    calm = answer_buttons(bot, '{"error":{"code":"validation_error","message":"bad ttl"}}')
    ids = [e["action_id"] for e in calm]
    assert "escalate" in ids and ids[0] != "escalate"
    assert "style" not in calm[ids.index("escalate")]

"""The Slack app end to end: every surface, over real HTTP, signed as Slack signs.

Requests go to the real bolt app served by waitress on 127.0.0.1; what the bot sends
lands on the local Slack Web API stand-in (and its response_url), where it is read back.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator

import pytest

from bot.render.blocks import (
    ACTION_HEALTH,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_OTHERS,
    ACTION_SHARE,
    MAX_HEADER,
    MAX_SECTION,
)
from bot.slack import payloads
from bot.slack.payloads import BOT_USER_ID, CHANNEL_ID, USER_ID
from tests.fakes.servers import LocalServer, Reply
from tests.slack_fixtures import SECRET, BotServer

ENVELOPE_429 = """< HTTP/2 429
< retry-after: 45
< date: Thu, 30 Apr 2026 12:00:00 GMT
< x-request-id: req_9f8e7d6c

{"error":{"code":"rate_limited","message":"Too many requests","request_id":"req_9f8e7d6c"}}"""


@pytest.fixture
def bot(tmp_path) -> Iterator[BotServer]:
    with BotServer(tmp_path) as server:
        yield server


def slash(bot: BotServer, text: str, name: str = "r1") -> dict:
    """Run `/errcode text`; return the JSON the bot posted to response_url `name`."""
    resp = bot.send(payloads.slash_command(text, response_url=bot.api.response_url(name)))
    assert resp.status_code == 200, resp.text
    return answered(bot, name)[-1].params


def answered(bot: BotServer, name: str, count: int = 1, timeout: float = 10) -> list:
    """The posts to response_url `name`, once there are `count` of them."""
    deadline = time.monotonic() + timeout
    while True:
        calls = [c for c in bot.api.calls_to("response_url") if c.params.get("_name") == name]
        if len(calls) >= count or time.monotonic() > deadline:
            assert len(calls) >= count, f"{len(calls)} posts to response_url {name}"
            return calls
        time.sleep(0.02)


def mention(bot: BotServer, text: str, **kw) -> dict:
    event = payloads.app_mention_event(text, **kw)
    assert bot.send(payloads.event_callback(event)).status_code == 200
    post = bot.api.wait_for("chat.postMessage")[-1]
    return {**post.params, "blocks": post.param_json("blocks"), "_event": event}


def texts(obj: object) -> Iterator[str]:
    """Every string inside a payload (texts of blocks, fallbacks, elements)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for v in obj.values():
            yield from texts(v)
    elif isinstance(obj, list):
        for v in obj:
            yield from texts(v)


def buttons(blocks: list[dict]) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks if b["type"] == "actions" for e in b["elements"]}


# --------------------------------------------------------------------------- surfaces


def test_slash_command_answers_privately_with_share_button(bot):
    out = slash(bot, ENVELOPE_429)
    assert out["response_type"] == "ephemeral"
    blocks = json.loads(out["blocks"]) if isinstance(out["blocks"], str) else out["blocks"]
    header = blocks[0]
    assert header["type"] == "header" and "rate_limited" in header["text"]["text"]
    assert "ScaiVault" in header["text"]["text"] and "429" in header["text"]["text"]
    body = "\n".join(texts(blocks))
    assert "<!date^" in body  # the retry time, in each reader's own time zone
    assert "req_9f8e7d6c" in body
    assert ACTION_SHARE in buttons(blocks)
    assert out["text"]  # the fallback is always there


def test_slash_help_list_and_empty_text(bot):
    assert "/errcode <code" in slash(bot, "help", "h")["text"] + json.dumps(
        slash(bot, "", "e"))
    listed = json.dumps(slash(bot, "list scaivault", "l"))
    assert "rate_limited" in listed and "RATE_LIMITED" not in listed
    assert "No product named" in json.dumps(slash(bot, "list nosuch", "n"))


def test_mention_answers_in_a_new_thread_under_the_message(bot):
    post = mention(bot, "we get VERSON_CONFLICT on save")
    assert post["thread_ts"] == post["_event"]["ts"]
    assert post["channel"] == CHANNEL_ID
    assert "VERSION_CONFLICT" in post["text"]


def test_mention_inside_a_thread_answers_in_that_thread(bot):
    post = mention(bot, "csrf invalid", thread_ts="1714478000.000100")
    assert post["thread_ts"] == "1714478000.000100"
    assert "CSRF_INVALID" in post["text"]


def test_message_shortcut_answers_in_the_messages_thread(bot):
    message = {"ts": "1714478100.000200", "user": "U0CUST",
               "text": '{"error":"AUTH_EXPIRED","message":"Token expired"}'}
    req = payloads.message_action(message, callback_id="triage_message",
                                  response_url=bot.api.response_url())
    assert bot.send(req).status_code == 200
    post = bot.api.wait_for("chat.postMessage")[0].params
    assert post["thread_ts"] == "1714478100.000200" and "AUTH_EXPIRED" in post["text"]


def test_direct_message_is_answered_and_the_bots_own_messages_are_not(bot):
    bot.send(payloads.event_callback(payloads.bot_message_event("RATE_LIMITED")))
    bot.send(payloads.event_callback(payloads.message_im_event("token_expired")))
    post = bot.api.wait_for("chat.postMessage")[0].params
    assert post["channel"].startswith("D") and "token_expired" in post["text"]
    time.sleep(0.3)
    assert len(bot.api.calls_to("chat.postMessage")) == 1  # no reply to itself


def test_several_errors_in_one_paste_get_one_section_each(bot):
    post = mention(bot, '{"error":"CSRF_INVALID"}\n{"error":"RATE_LIMITED"}\n'
                        '{"error":{"code":"secret_not_found","message":"Secret not found"}}')
    headers = [b["text"]["text"] for b in post["blocks"] if b["type"] == "header"]
    assert any("CSRF_INVALID" in h for h in headers)
    assert any("RATE_LIMITED" in h for h in headers)
    assert any("secret_not_found" in h for h in headers)


def test_no_confident_match_says_so_and_offers_nearest(bot):
    out = slash(bot, "AUTHH_EXPRD")
    body = "\n".join(texts(out["blocks"]))
    assert re.search(r"(?i)no documented error", out["text"] + body)
    assert "AUTH_EXPIRED" in body  # offered as the nearest entry, not as the answer
    assert not [b for b in out["blocks"] if b["type"] == "header" and "AUTH_EXPIRED" in
                b["text"]["text"]]


# --------------------------------------------------------------------------- buttons


def press(bot: BotServer, action_id: str, value: str, *, ephemeral: bool, name: str,
          thread_ts: str | None = None) -> None:
    req = payloads.block_actions(action_id, value, is_ephemeral=ephemeral,
                                 response_url=bot.api.response_url(name), thread_ts=thread_ts)
    assert bot.send(req).status_code == 200


def test_share_posts_the_answer_publicly_and_removes_the_private_one(bot):
    out = slash(bot, "RATE_LIMITED")
    share = buttons(out["blocks"])[ACTION_SHARE]
    press(bot, ACTION_SHARE, share["value"], ephemeral=True, name="share")
    post = bot.api.wait_for("chat.postMessage")[0].params
    assert post["channel"] == CHANNEL_ID and "RATE_LIMITED" in post["text"]
    assert f"<@{USER_ID}>" in json.dumps(post)  # says who shared it
    deleted = answered(bot, "share")
    assert deleted[-1].params.get("delete_original") is True


def test_show_other_matches_and_feedback_are_stored(bot):
    out = slash(bot, "too many requests")  # both products, plus weaker candidates
    bs = buttons(out["blocks"])
    press(bot, ACTION_OTHERS, bs[ACTION_OTHERS]["value"], ephemeral=True, name="others")
    others = answered(bot, "others")
    assert "rate_limited" in json.dumps(others[-1].params)
    assert "RATE_LIMITED" in json.dumps(others[-1].params)
    press(bot, ACTION_HELPFUL, bs[ACTION_HELPFUL]["value"], ephemeral=True, name="up")
    answered(bot, "up")
    [row] = bot.store.feedback_summary()
    assert (row.code, row.helpful, row.not_helpful) == ("RATE_LIMITED", 1, 0)
    # A change of mind replaces the vote: one person, one vote per answer.
    press(bot, ACTION_NOT_HELPFUL, bs[ACTION_NOT_HELPFUL]["value"], ephemeral=True, name="dn")
    answered(bot, "dn")
    [row] = bot.store.feedback_summary()
    assert (row.helpful, row.not_helpful) == (0, 1)


def test_run_health_check_button_answers_in_the_thread(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "healthy"}))
        vault.route("/ocsp/health", Reply.json({"status": "ok"}))
        vault.route("/api/v1/health/system", Reply.json(
            {"status": "unhealthy", "components": {"database": "down"}}))
        health = {"targets": [{"name": "prod", "product": "mazevault", "base_url": vault.url,
                               "token_env": "MV_ADMIN"}]}
        with BotServer(tmp_path, health=health, env={"MV_ADMIN": "adm-token-123456"}) as bot:
            post = mention(bot, '{"error":"DATABASE_ERROR"}')
            health_button = buttons(post["blocks"])[ACTION_HEALTH]
            press(bot, ACTION_HEALTH, health_button["value"], ephemeral=False, name="h",
                  thread_ts=post["thread_ts"])
            answer = bot.api.wait_for("chat.postMessage", 2)[1].params
            assert answer["thread_ts"] == post["thread_ts"]
            assert "prod" in answer["text"] and "unhealthy" in answer["text"]
            assert "adm-token-123456" not in json.dumps([c.params for c in bot.api.calls])


# --------------------------------------------------------------------------- safety


@pytest.mark.parametrize("ping", ["<!channel>", "<!here>", "<@U0ADMIN>", "<!subteam^S0OPS>",
                                  "<!everyone>", "@channel", "@here"])
def test_pasted_mentions_never_ping(bot, ping):
    post = mention(bot, f"{ping} RATE_LIMITED {ping} please look")
    sent = [t for t in texts({k: v for k, v in post.items() if k != "_event"})]
    for text in sent:
        assert not re.search(r"<!(channel|here|everyone|subteam)|<@U0ADMIN|(?<![\w\u200b])@(channel"
                             r"|here)\b", text), text


def test_bad_stale_and_missing_signatures_are_refused(bot):
    req = payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url())
    assert bot.send(req, secret="not-the-secret").status_code == 401
    assert bot.send(req, timestamp=int(time.time()) - 600).status_code == 401
    assert bot.post_raw(req.body.encode(), {"Content-Type": req.content_type}).status_code == 401
    time.sleep(0.3)
    assert not bot.api.calls_to("response_url")


def test_a_retried_event_is_answered_once_also_after_a_restart(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"), event_id="Ev01")
    assert bot.send(event).status_code == 200
    bot.api.wait_for("chat.postMessage")
    assert bot.send(event, retry_num=1).status_code == 200
    bot.restart()
    assert bot.send(event, retry_num=2).status_code == 200
    time.sleep(0.5)
    assert len(bot.api.calls_to("chat.postMessage")) == 1
    # A retry of an event never seen (the first delivery was lost) is answered.
    fresh = payloads.event_callback(payloads.app_mention_event("CSRF_INVALID"),
                                    event_id="Ev02")
    assert bot.send(fresh, retry_num=1).status_code == 200
    assert "CSRF_INVALID" in bot.api.wait_for("chat.postMessage", 2)[1].params["text"]


@pytest.mark.parametrize(("body", "content_type"), [
    (b"{not json", "application/json"), (b"", "application/json"),
    (b"foo=bar", "application/x-www-form-urlencoded"),
    (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
    (b"\xff\xfe\x00garbage", "application/octet-stream"),
    (b'{"type":"event_callback"}', "application/json"),
])
def test_junk_bodies_get_4xx_and_the_server_keeps_serving(bot, body, content_type):
    headers = {"Content-Type": content_type, **payloads.sign(SECRET, body)}
    resp = bot.post_raw(body, headers)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    assert slash(bot, "RATE_LIMITED")["response_type"] == "ephemeral"


def test_huge_body_is_refused_and_liveness_and_url_verification_answer(bot):
    huge = b"x" * (3 * 1024 * 1024)
    assert bot.post_raw(huge, {"Content-Type": "application/json"}).status_code == 413
    assert bot.post_raw(b"", {}, path="/healthz").status_code == 405
    import httpx

    assert httpx.get(bot.url + "/healthz").json() == {"ok": True}
    resp = bot.send(payloads.url_verification("chal-123"))
    assert resp.status_code == 200 and "chal-123" in resp.text


def test_web_api_429_is_waited_out_and_the_reply_lands(bot):
    bot.api.rate_limit_next("chat.postMessage", retry_after=1)
    started = time.monotonic()
    post = mention(bot, "RATE_LIMITED")
    assert "RATE_LIMITED" in post["text"]
    calls = bot.api.wait_for("chat.postMessage", 2)
    assert len(calls) == 2 and calls[1].at - calls[0].at >= 0.9  # Retry-After honoured
    assert time.monotonic() - started < 8


def test_api_error_gives_the_user_a_private_hint_and_the_bot_keeps_serving(bot):
    bot.api.fail_next("chat.postMessage", "not_in_channel")
    message = {"ts": "1714478100.000300", "text": "RATE_LIMITED"}
    req = payloads.message_action(message, callback_id="triage_message",
                                  response_url=bot.api.response_url("sc"))
    bot.send(req)
    hint = answered(bot, "sc")[0].params
    assert hint["response_type"] == "ephemeral" and "/invite @errcode" in hint["text"]
    bot.api.fail_next("chat.postMessage", "channel_not_found")
    bot.send(payloads.event_callback(payloads.app_mention_event("RATE_LIMITED")))
    note = bot.api.wait_for("chat.postEphemeral")[0].params
    assert note["user"] == USER_ID and "can't see this channel" in note["text"]
    assert "RATE_LIMITED" in mention(bot, "RATE_LIMITED")["text"]


def test_unmatched_queries_are_stored_redacted(bot):
    slash(bot, "the widget frobnicator exploded password=hunter2xyz again")
    rows = bot.store.top_unmatched()
    assert rows and "hunter2xyz" not in repr(rows)
    assert "[REDACTED:password#1]" in rows[0].text


def test_slack_limits_hold_for_a_huge_paste(bot):
    codes = ["CSRF_INVALID", "RATE_LIMITED", "VERSION_CONFLICT", "AUTH_EXPIRED",
             "DATABASE_ERROR", "token_expired", "rate_limited", "secret_not_found",
             "internal_error", "quota_exceeded", "policy_in_use", "validation_error"]
    paste = "\n".join(f'{{"error":"{c}","message":"{"m" * 4000}"}}' for c in codes * 20)
    paste += "\n" + "2026-04-24T08:00:00Z INFO noise\n" * 20_000
    post = mention(bot, paste[:1_000_000])
    blocks = post["blocks"]
    assert len(blocks) <= 50
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= MAX_SECTION
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= MAX_HEADER
    assert post["text"]


def test_bot_user_id_is_not_mistaken_for_a_paste(bot):
    post = mention(bot, f"<@{BOT_USER_ID}> help")
    assert "/errcode" in post["text"] or "errcode" in json.dumps(post["blocks"])


def test_slow_health_checks_are_acked_at_once_and_do_not_hold_up_answers(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "healthy"}, delay_s=2.0))
        health = {"targets": [{"name": "prod", "product": "mazevault", "base_url": vault.url,
                               "checks": [{"path": "/api/v1/health"}], "timeout_s": 5}]}
        with BotServer(tmp_path, health=health) as bot:
            t0 = time.monotonic()
            for i in range(6):  # more than the answer pool has threads
                req = payloads.slash_command("health prod",
                                             response_url=bot.api.response_url(f"h{i}"))
                assert bot.send(req).status_code == 200
            assert time.monotonic() - t0 < 1.5  # every ack left before any check finished
            quick = slash(bot, "RATE_LIMITED", "q")  # answered while the checks still run
            assert "RATE_LIMITED" in quick["text"] and time.monotonic() - t0 < 1.9
            for i in range(6):
                assert "prod" in answered(bot, f"h{i}")[0].params["text"]

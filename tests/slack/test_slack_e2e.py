"""End to end: the real bolt app over real HTTP, every request signed as Slack signs it.

Each test starts errcode (waitress on 127.0.0.1, port 0) with its WebClient pointed at the
local Slack Web API stand-in, sends Slack-shaped requests (tests/fakes/slack_payloads) and reads
back what the bot sent: chat.* calls and response_url posts, as recorded by the stand-in.
Expected values come from the catalog, the request sent or the bot's own triage engine,
never from copies of rendered output.
"""

from __future__ import annotations

import calendar
import contextlib
import itertools
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from bot.answers import HELP
from bot.slack.blocks import MAX_BLOCKS, MAX_HEADER, MAX_SECTION, escape
from bot.slack.http import MAX_BODY_BYTES
from bot.slack.ids import (
    ACTION_HEALTH,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_OTHERS,
    ACTION_SHARE,
)
from bot.slack.listeners.buttons import EXPIRED
from bot.slack.posting import api_error_hint
from tests.fakes import slack_payloads as payloads
from tests.fakes.servers import LocalServer, Reply
from tests.fakes.slack_api import RecordedCall
from tests.fakes.slack_bot import SECRET, BotServer
from tests.fakes.slack_payloads import (
    BOT_USER_ID,
    CHANNEL_ID,
    DM_CHANNEL_ID,
    USER_ID,
)

# --------------------------------------------------------------------------- pastes

RETRY_AFTER_S = 45
RESPONSE_DATE = "Thu, 30 Apr 2026 12:00:00 GMT"  # not today: the answer must still be clear
CURL_429 = f"""< HTTP/2 429
< retry-after: {RETRY_AFTER_S}
< date: {RESPONSE_DATE}
< x-request-id: req_9f8e7d6c

{{"error":{{"code":"rate_limited","message":"Too many requests","request_id":"req_9f8e7d6c"}}}}"""

# What Slack delivers for real mentions and broadcasts, for the same typed as text
# (Slack escapes <, > and &), and bare words Slack would link with link_names.
LIVE_PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@U123ABC>", "<@U123ABC|boss>",
              "<!subteam^S123>", "<!subteam^S123|@ops>")
TYPED_PINGS = ("&lt;!channel&gt;", "&lt;!here&gt;", "&lt;@U123ABC&gt;",
               "&lt;!subteam^S123&gt;", "@channel", "@here", "@everyone")
PINGS = " ".join(LIVE_PINGS + TYPED_PINGS)
PING_PASTE = (f"{PINGS} too many requests, please look\n"
              f'{{"error":"RATE_LIMITED","message":"{PINGS}","request_id":"req_ping1234"}}\n'
              f'{{"error":{{"code":"validation_error","message":"{PINGS}",'
              f'"details":{{"fields":["name {PINGS}"]}}}}}}')
# Anything that would notify someone if it reached Slack in a message we post.
LIVE_TOKEN = re.compile(r"<!(?:channel|here|everyone|subteam)|<@U123ABC"
                        r"|(?<![\w\u200b])@(?:channel|here|everyone)\b")

_names = itertools.count(1)


# --------------------------------------------------------------------------- helpers


@pytest.fixture
def bot(tmp_path) -> Iterator[BotServer]:
    with BotServer(tmp_path) as server:
        yield server


@pytest.fixture(scope="module")
def _one_server(tmp_path_factory) -> Iterator[BotServer]:
    with BotServer(tmp_path_factory.mktemp("shared")) as server:
        yield server


@pytest.fixture
def shared(_one_server) -> BotServer:
    """One server for the tests whose requests must change nothing (refused, junk): each
    starts with no recorded calls, and the server must still answer after all of them."""
    _one_server.api.clear()
    return _one_server


def health_config(url: str, *, timeout_s: float = 3) -> dict:
    """A `health:` section (as in errcode.yml) with one MazeVault target at `url`."""
    return {"targets": [{"name": "prod", "product": "mazevault", "base_url": url,
                         "timeout_s": timeout_s, "checks": [{"path": "/api/v1/health"}]}]}


def params(call: RecordedCall) -> dict[str, Any]:
    """A call's parameters with form-encoded JSON (blocks) decoded."""
    return {k: call.param_json(k) for k in call.params}


def strings(obj: object) -> Iterator[str]:
    """Every string in a payload, however deeply nested (texts of blocks, elements...)."""
    if isinstance(obj, str):
        yield obj
    elif isinstance(obj, dict):
        for value in obj.values():
            yield from strings(value)
    elif isinstance(obj, list):
        for value in obj:
            yield from strings(value)


def blocks_of(p: dict, kind: str | None = None) -> list[dict]:
    return [b for b in p.get("blocks") or [] if kind is None or b["type"] == kind]


def headers_of(p: dict) -> list[str]:
    return [b["text"]["text"] for b in blocks_of(p, "header")]


def sections_of(p: dict) -> list[str]:
    return [b["text"]["text"] for b in blocks_of(p, "section")]


def buttons_of(p: dict) -> dict[str, dict]:
    return {e["action_id"]: e for b in blocks_of(p, "actions") for e in b["elements"]}


def responses(bot: BotServer, name: str, count: int = 1, timeout: float = 10) -> list[dict]:
    """The posts to response_url `name` (params), once `count` of them have arrived."""
    deadline = time.monotonic() + timeout
    while True:
        mine = [params(c) for c in bot.api.calls_to("response_url")
                if c.params.get("_name") == name]
        remaining = deadline - time.monotonic()
        if len(mine) >= count or remaining <= 0:
            assert len(mine) >= count, f"{len(mine)} of {count} posts to response_url {name}"
            return mine
        total = len(bot.api.calls_to("response_url"))
        with contextlib.suppress(AssertionError):  # block until another post arrives
            bot.api.wait_for("response_url", total + 1, timeout=remaining)


def send_ok(bot: BotServer, req: payloads.SlackRequest, **kw: Any) -> httpx.Response:
    resp = bot.send(req, **kw)
    assert resp.status_code == 200, (resp.status_code, resp.text)
    return resp


def slash(bot: BotServer, text: str, *, user: str = USER_ID) -> dict:
    """`/errcode text`; the answer the bot posted to the command's response_url."""
    name = f"slash{next(_names)}"
    send_ok(bot, payloads.slash_command(text, user_id=user,
                                        response_url=bot.api.response_url(name)))
    return responses(bot, name)[0]


def posted(bot: BotServer, count: int = 1) -> dict:
    """The `count`-th chat.postMessage (params), waiting for it."""
    return params(bot.api.wait_for("chat.postMessage", count, timeout=10)[count - 1])


def mention(bot: BotServer, text: str, **event_kw: Any) -> tuple[dict, dict]:
    """`@errcode text` in a channel; the event sent and the bot's chat.postMessage."""
    before = len(bot.api.calls_to("chat.postMessage"))
    event = payloads.app_mention_event(text, **event_kw)
    send_ok(bot, payloads.event_callback(event))
    return event, posted(bot, before + 1)


def press(bot: BotServer, button: dict, *, ephemeral: bool, user: str = USER_ID,
          message_ts: str | None = None, thread_ts: str | None = None) -> str:
    """Click `button` (as the bot rendered it); returns the click's response_url name."""
    name = f"click{next(_names)}"
    send_ok(bot, payloads.block_actions(
        button["action_id"], button["value"], is_ephemeral=ephemeral, user_id=user,
        message_ts=message_ts, thread_ts=thread_ts, response_url=bot.api.response_url(name),
        button_text=button["text"]["text"]))
    return name


def settle(bot: BotServer) -> None:
    """Let queued work finish before asserting that something did NOT happen: a sentinel
    command goes through the same worker pool, then a short grace for stragglers."""
    slash(bot, "help")
    time.sleep(0.2)


def without_date_tokens(text: str) -> str:
    return re.sub(r"<!date\^[^>]*>", "", text)


# --------------------------------------------------------------------------- /errcode


def test_slash_command_is_acked_with_an_empty_200(bot):
    req = payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url("ack"))
    resp = bot.send(req)
    assert resp.status_code == 200
    assert resp.text == ""  # the answer goes to response_url, never into the ack
    assert resp.elapsed.total_seconds() < 2.5  # Slack gives up after 3 s
    assert responses(bot, "ack")[0]["response_type"] == "ephemeral"


def test_slash_ack_does_not_wait_for_a_slow_answer(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "healthy"}, delay_s=1.5))
        with BotServer(tmp_path, health=health_config(vault.url)) as bot:
            req = payloads.slash_command("health prod", response_url=bot.api.response_url("h"))
            t0 = time.monotonic()
            send_ok(bot, req)
            acked = time.monotonic() - t0
            answer = responses(bot, "h")[0]
            answered = time.monotonic() - t0
    assert acked < 1.0  # the ack left before the check could finish
    assert answered >= 1.4
    assert "prod" in answer["text"]


def test_slow_health_checks_never_hold_up_other_answers(tmp_path):
    """Health checks wait on the network in their own pool: answers keep flowing."""
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "healthy"}, delay_s=2.0))
        with BotServer(tmp_path, health=health_config(vault.url, timeout_s=5)) as bot:
            t0 = time.monotonic()
            for i in range(6):  # more than the answer pool has threads
                send_ok(bot, payloads.slash_command(
                    "health prod", response_url=bot.api.response_url(f"slow{i}")))
            assert time.monotonic() - t0 < 1.5  # every ack left before any check finished
            quick = slash(bot, "RATE_LIMITED")  # answered while the checks still run
            assert "RATE_LIMITED" in quick["text"] and time.monotonic() - t0 < 1.9
            for i in range(6):
                assert "prod" in responses(bot, f"slow{i}")[0]["text"]


def test_slash_command_answers_privately_with_a_share_button(bot):
    out = slash(bot, "RATE_LIMITED")
    assert out["response_type"] == "ephemeral"
    share = buttons_of(out)[ACTION_SHARE]
    assert share["text"]["text"] == "Share in channel"
    assert bot.store.get_query(share["value"]) is not None  # the button can rebuild it
    assert any("RATE_LIMITED" in h for h in headers_of(out))
    assert "RATE_LIMITED" in out["text"]


def test_slash_command_saying_payload_is_answered(bot):
    # slack_bolt reads any form body holding the word "payload" as an interactivity
    # payload; without bot.slack.http's re-read this command parsed as nothing (404).
    out = slash(bot, 'VALIDATION_ERROR: invalid payload {"name": ""}')
    assert out["response_type"] == "ephemeral"
    assert any("VALIDATION_ERROR" in h for h in headers_of(out))


def test_slash_help_shows_the_help(bot):
    out = slash(bot, "help")
    assert HELP in sections_of(out)
    assert out["text"] and out["response_type"] == "ephemeral"


@pytest.mark.parametrize("text", ["", "   "])
def test_slash_with_no_text_shows_the_help(bot, text):
    out = slash(bot, text)
    assert HELP in sections_of(out)
    assert not buttons_of(out)  # help is not a triage answer


def test_slash_list_shows_every_product_and_code(bot):
    catalog = bot.core.catalog
    listed = "\n".join(sections_of(out := slash(bot, "list")))
    assert len(blocks_of(out)) <= MAX_BLOCKS
    for name, product in catalog.products.items():
        count = sum(1 for e in catalog.entries if e.catalog == name)
        assert f"{product.name} ({count} entries)" in headers_of(out)
    for entry in catalog.entries:
        assert f"`{escape(entry.code)}`" in listed


def test_slash_list_product_shows_only_that_product(bot):
    catalog = bot.core.catalog
    out = slash(bot, "list scaivault")
    listed = "\n".join(sections_of(out))
    assert headers_of(out) == [f"{catalog.products['scaivault'].name} "
                               f"({sum(e.catalog == 'scaivault' for e in catalog.entries)} "
                               "entries)"]
    codes = set(re.findall(r"`([^`]+)`", listed))
    assert codes == {e.code for e in catalog.entries if e.catalog == "scaivault"}


def test_slash_list_of_an_unknown_product_names_the_known_ones(bot):
    out = slash(bot, "list nosuchproduct")
    text = "\n".join(sections_of(out))
    assert "nosuchproduct" in text
    for name in bot.core.catalog.products:
        assert f"`{name}`" in text


# --------------------------------------------------------------------------- threading


def test_mention_is_answered_in_a_thread_under_the_mention(bot):
    event, post = mention(bot, "we get VERSON_CONFLICT on save")
    assert post["channel"] == CHANNEL_ID
    assert post["thread_ts"] == event["ts"]
    assert "VERSION_CONFLICT" in post["text"]  # the typo was understood


def test_mention_inside_a_thread_is_answered_in_that_thread(bot):
    parent = payloads.new_ts()
    event, post = mention(bot, "CSRF_INVALID", thread_ts=parent)
    assert event["ts"] != parent
    assert post["thread_ts"] == parent
    assert "CSRF_INVALID" in post["text"]


def test_mention_of_the_bot_alone_is_not_taken_for_a_paste(bot):
    _, post = mention(bot, f"<@{BOT_USER_ID}> help")
    assert HELP in sections_of(post)


def test_message_shortcut_answers_in_the_messages_thread(bot):
    message = {"ts": payloads.new_ts(), "user": "U0CUST",
               "text": '{"error":"AUTH_EXPIRED","message":"Token expired"}'}
    send_ok(bot, payloads.message_action(message, callback_id="triage_message",
                                         response_url=bot.api.response_url("sc")))
    post = posted(bot)
    assert post["channel"] == CHANNEL_ID
    assert post["thread_ts"] == message["ts"]
    assert "AUTH_EXPIRED" in post["text"]


def test_message_shortcut_on_a_thread_reply_answers_in_that_thread(bot):
    parent = payloads.new_ts()
    message = {"ts": payloads.new_ts(), "thread_ts": parent, "user": "U0CUST", "text": "",
               "attachments": [{"fallback": "forwarded", "text": '{"error":"token_expired"}'}]}
    send_ok(bot, payloads.message_action(message, callback_id="triage_message",
                                         response_url=bot.api.response_url("sc")))
    post = posted(bot)
    assert post["thread_ts"] == parent
    assert "token_expired" in post["text"]  # read from the forwarded attachment


def test_direct_message_is_answered_like_a_mention(bot):
    event = payloads.message_im_event("token_expired")
    send_ok(bot, payloads.event_callback(event))
    post = posted(bot)
    assert post["channel"] == DM_CHANNEL_ID
    assert post["thread_ts"] == event["ts"]
    assert "token_expired" in post["text"]


@pytest.mark.parametrize("event", [
    payloads.bot_message_event("RATE_LIMITED", channel=DM_CHANNEL_ID),  # our own reply
    payloads.bot_message_event("RATE_LIMITED", channel=DM_CHANNEL_ID, bot_id="B0OTHER",
                               user="U0OTHERBOT"),  # another bot
    {**payloads.message_im_event("RATE_LIMITED"), "subtype": "bot_message",
     "bot_id": "B0HOOK"},  # an integration posting into the DM
    {**payloads.message_im_event("RATE_LIMITED"), "subtype": "message_changed"},
    {**payloads.message_im_event("RATE_LIMITED"), "channel": CHANNEL_ID,
     "channel_type": "channel"},  # channel chatter is not ours to read
], ids=["own-message", "other-bot", "bot_message-subtype", "edit", "channel-message"])
def test_messages_that_are_not_a_persons_dm_get_no_reply(bot, event):
    send_ok(bot, payloads.event_callback(event))
    settle(bot)
    assert not bot.api.calls_to("chat.postMessage")


def test_the_bots_answer_echoed_back_as_an_event_starts_no_loop(bot):
    _, post = mention(bot, "RATE_LIMITED")
    echo = payloads.bot_message_event(post["text"], channel=post["channel"],
                                      thread_ts=post["thread_ts"])
    send_ok(bot, payloads.event_callback(echo))
    settle(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


# --------------------------------------------------------------------------- answer content


@pytest.mark.parametrize(("catalog", "code"), [
    ("mazevault", "RATE_LIMITED"), ("scaivault", "secret_not_found"),
    ("mazevault", "ocsp-errors"),  # a symptom entry: no HTTP status
])
def test_answer_header_names_code_product_and_http_status(bot, catalog, code):
    entry = next(e for e in bot.core.catalog.entries if (e.catalog, e.code) == (catalog, code))
    product = bot.core.catalog.products[catalog].name
    out = slash(bot, code)
    expected = f"{code} · {product}" + (f" · HTTP {entry.http_status}" if entry.http_status
                                        else "")
    assert headers_of(out)[0] == expected
    assert entry.code in out["text"] and product in out["text"]


def test_retry_after_becomes_a_slack_date_token(bot):
    out = slash(bot, CURL_429)
    retry = [s for s in sections_of(out) if s.startswith("*Retry:*")]
    assert retry
    expected = calendar.timegm(time.strptime(RESPONSE_DATE, "%a, %d %b %Y %H:%M:%S GMT"))
    expected += RETRY_AFTER_S
    for text in retry:
        stamps = re.findall(r"<!date\^(\d+)\^[^|>]*\|[^>]+>", text)
        assert stamps == [str(expected)]
        # The moment is given once, as the token each reader sees in their own time zone;
        # no UTC date or clock left beside it.
        rest = without_date_tokens(text)
        assert not re.search(r"\d{4}-\d{2}-\d{2}|\d{2}:\d{2}:\d{2}", rest), text
        assert f"{RETRY_AFTER_S} s" in rest


def test_retry_after_without_a_date_header_counts_from_now(bot):
    paste = CURL_429.replace(f"< date: {RESPONSE_DATE}\n", "")
    before = time.time()
    out = slash(bot, paste)
    after = time.time()
    stamps = [int(s) for text in sections_of(out)
              for s in re.findall(r"<!date\^(\d+)\^", text)]
    assert stamps
    for stamp in stamps:
        assert int(before) + RETRY_AFTER_S - 1 <= stamp <= after + RETRY_AFTER_S + 1


def test_answer_has_resolution_and_diagnostic_commands_in_code_blocks(bot):
    paste = '{"error":"DATABASE_ERROR","message":"connection refused"}'
    found = bot.core.engine.triage(paste, bot.core.hints(CHANNEL_ID)).confident[0]
    assert found.commands, "pick an entry with diagnostics"
    _, post = mention(bot, paste)
    sections = sections_of(post)
    resolution = next(s for s in sections if "*Resolution:*" in s)
    for i, step in enumerate(found.entry.resolution, 1):
        assert f"{i}. {escape(step)}" in resolution
    fenced = [m for s in sections for m in re.findall(r"```(.*?)```", s, flags=re.S)]
    for command in found.commands[:6]:
        assert escape(command.run) in fenced
    assert "connection refused" in "\n".join(sections)  # the pasted message is quoted


def test_answer_shows_request_ids_and_the_evidence(bot):
    out = slash(bot, CURL_429)
    body = "\n".join(strings(out["blocks"]))
    assert re.search(r"\*Request ids?:\* `req_9f8e7d6c`", body)
    why = [e["text"] for b in blocks_of(out, "context") for e in b["elements"]
           if e["text"].startswith("Why:")]
    assert why and "rate_limited" in why[0]


def test_several_errors_in_one_paste_get_one_section_each(bot):
    codes = [("mazevault", "CSRF_INVALID"), ("mazevault", "VERSION_CONFLICT"),
             ("scaivault", "secret_not_found")]
    paste = "\n".join(f"2026-04-24T08:00:0{i}Z ERROR {{\"error\":\"{code}\"}}"
                      for i, (_, code) in enumerate(codes))
    _, post = mention(bot, paste)
    headers = headers_of(post)
    names = bot.core.catalog.products
    for catalog, code in codes:
        assert sum(h.startswith(f"{code} · {names[catalog].name}") for h in headers) == 1
    # one block group per error, separated by dividers
    assert len(blocks_of(post, "divider")) == len(headers) - 1
    for _, code in codes:
        assert code in post["text"]


def test_huge_paste_of_200_codes_is_answered_within_slack_limits(bot):
    codes = [e.code for e in bot.core.catalog.entries]
    codes += [f"ERR_UNKNOWN_{i:03d}" for i in range(200 - len(codes))]
    paste = "\n".join(f'2026-04-24T08:00:00Z ERROR {{"error":"{c}","message":"{"m" * 80}",'
                      f'"request_id":"req_{i:08x}"}}' for i, c in enumerate(codes))
    out = slash(bot, paste)
    assert_within_slack_limits(out)
    assert buttons_of(out)  # the buttons survive the cut


def test_one_megabyte_of_logs_is_answered_within_slack_limits(bot):
    errors = "\n".join(f'2026-04-24T08:00:{i % 60:02d}Z ERROR {{"error":"{e.code}",'
                       f'"message":"{"x" * 4000}"}}'
                       for i, e in enumerate(bot.core.catalog.entries))
    filler = "2026-04-24T08:00:00Z INFO request served in 12 ms\n"
    paste = errors + "\n" + filler * ((1_000_000 - len(errors)) // len(filler))
    assert len(paste) >= 990_000
    event = payloads.app_mention_event(paste)
    del event["blocks"]  # keep the request under the server's body cap
    req = payloads.event_callback(event)
    assert len(req.body.encode()) < MAX_BODY_BYTES
    send_ok(bot, req)
    post = posted(bot)
    assert post["thread_ts"] == event["ts"]
    assert_within_slack_limits(post)


def assert_within_slack_limits(message: dict) -> None:
    """Slack's Block Kit limits; a message breaking one is refused (invalid_blocks)."""
    blocks = message["blocks"]
    assert message["text"].strip()
    assert 0 < len(blocks) <= MAX_BLOCKS
    for b in blocks:
        if b["type"] == "header":
            assert len(b["text"]["text"]) <= MAX_HEADER
        elif b["type"] == "section":
            assert 0 < len(b["text"]["text"]) <= MAX_SECTION
        elif b["type"] == "context":
            assert len(b["elements"]) <= 10
            assert all(len(e["text"]) <= MAX_SECTION for e in b["elements"])
        elif b["type"] == "actions":
            assert len(b["elements"]) <= 25
            for e in b["elements"]:
                assert len(e["text"]["text"]) <= 75 and len(e["value"]) <= 2000
    assert len(message["text"]) <= 40_000


def test_every_message_the_bot_sends_has_a_text_fallback(bot):
    slash(bot, "RATE_LIMITED")
    slash(bot, "help")
    slash(bot, "list")
    slash(bot, "nothing like an error here")
    mention(bot, "CSRF_INVALID")
    send_ok(bot, payloads.event_callback(payloads.message_im_event("token_expired")))
    posted(bot, 2)
    messages = [params(c) for c in bot.api.calls
                if c.method in ("chat.postMessage", "response_url")]
    assert len(messages) == 6
    for p in messages:
        assert isinstance(p.get("text"), str) and p["text"].strip(), p


# --------------------------------------------------------------------------- buttons


def test_share_in_channel_posts_publicly_and_removes_the_private_answer(bot):
    private = slash(bot, CURL_429)
    click = press(bot, buttons_of(private)[ACTION_SHARE], ephemeral=True)
    public = posted(bot)
    assert public["channel"] == CHANNEL_ID and "thread_ts" not in public
    assert headers_of(public) == headers_of(private)
    assert f"<@{USER_ID}>" in "\n".join(strings(public["blocks"]))  # who shared it
    assert ACTION_SHARE not in buttons_of(public)  # nothing left to share
    assert responses(bot, click)[-1].get("delete_original") is True


def test_show_other_matches_replaces_the_private_answer_with_the_candidates(bot):
    private = slash(bot, "scaivault: too many requests")
    first = headers_of(private)
    click = press(bot, buttons_of(private)[ACTION_OTHERS], ephemeral=True)
    out = responses(bot, click)[0]
    assert out["replace_original"] is True and out["response_type"] == "ephemeral"
    assert headers_of(out)[: len(first)] == first
    assert len(headers_of(out)) > len(first)  # the other candidates, each with its header
    assert "*Other candidates*" in sections_of(out)
    assert ACTION_OTHERS not in buttons_of(out) and ACTION_SHARE in buttons_of(out)


def test_feedback_buttons_are_stored_one_vote_per_person(bot):
    out = slash(bot, "RATE_LIMITED")
    helpful, unhelpful = buttons_of(out)[ACTION_HELPFUL], buttons_of(out)[ACTION_NOT_HELPFUL]
    entry = headers_of(out)[0].split(" · ")[0]
    thanks = responses(bot, press(bot, helpful, ephemeral=True))[0]
    assert thanks["replace_original"] is False and thanks["text"]
    responses(bot, press(bot, helpful, ephemeral=True, user="U0OTHER"))
    [row] = bot.store.feedback_summary()
    assert (row.code, row.helpful, row.not_helpful) == (entry, 2, 0)
    # A change of mind replaces that person's vote.
    responses(bot, press(bot, unhelpful, ephemeral=True))
    [row] = bot.store.feedback_summary()
    assert (row.helpful, row.not_helpful) == (1, 1)


def test_run_health_check_button_answers_in_the_thread(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "unhealthy",
                                                  "components": {"database": "down"}},
                                                 status=503))
        with BotServer(tmp_path, health=health_config(vault.url)) as bot:
            _, post = mention(bot, '{"error":"DATABASE_ERROR"}')
            button = buttons_of(post)[ACTION_HEALTH]
            press(bot, button, ephemeral=False, message_ts=payloads.new_ts(),
                  thread_ts=post["thread_ts"])
            answer = posted(bot, 2)
            assert vault.requests_to("/api/v1/health")  # the check really ran
    assert answer["channel"] == CHANNEL_ID and answer["thread_ts"] == post["thread_ts"]
    assert "prod" in answer["text"] and "unhealthy" in answer["text"]


def test_health_button_is_offered_only_for_products_with_a_target(tmp_path):
    with LocalServer() as vault:
        vault.route("/api/v1/health", Reply.json({"status": "healthy"}))
        with BotServer(tmp_path, health=health_config(vault.url)) as bot:
            maze = slash(bot, "DATABASE_ERROR")
            scai = slash(bot, "storage_error")
    assert buttons_of(maze)[ACTION_HEALTH]["value"].endswith("|mazevault")
    assert ACTION_HEALTH not in buttons_of(scai)


def test_a_button_of_an_expired_answer_says_so(bot):
    stale = {"action_id": ACTION_SHARE, "value": "q_doesnotexist", "text": {"text": "Share"}}
    out = responses(bot, press(bot, stale, ephemeral=True))[0]
    assert out["text"] == EXPIRED
    assert not bot.api.calls_to("chat.postMessage")


# --------------------------------------------------------------------------- escaping


def _via_slash(bot: BotServer, paste: str) -> None:
    slash(bot, paste)


def _via_mention(bot: BotServer, paste: str) -> None:
    mention(bot, paste)


def _via_dm(bot: BotServer, paste: str) -> None:
    send_ok(bot, payloads.event_callback(payloads.message_im_event(paste)))
    posted(bot)


def _via_shortcut(bot: BotServer, paste: str) -> None:
    message = {"ts": payloads.new_ts(), "user": "U0CUST", "text": paste}
    send_ok(bot, payloads.message_action(message, callback_id="triage_message",
                                         response_url=bot.api.response_url("sc")))
    posted(bot)


def _via_share_and_others(bot: BotServer, paste: str) -> None:
    private = slash(bot, paste)
    responses(bot, press(bot, buttons_of(private)[ACTION_OTHERS], ephemeral=True))
    press(bot, buttons_of(private)[ACTION_SHARE], ephemeral=True)
    posted(bot)


def _via_list(bot: BotServer, paste: str) -> None:
    slash(bot, f"list {LIVE_PINGS[0]}")
    slash(bot, "list @channel")


SURFACES: dict[str, Callable[[BotServer, str], None]] = {
    "slash": _via_slash, "mention": _via_mention, "dm": _via_dm, "shortcut": _via_shortcut,
    "buttons": _via_share_and_others, "list": _via_list,
}


@pytest.mark.parametrize("surface", SURFACES)
def test_pasted_mentions_and_broadcasts_never_reach_slack_live(bot, surface):
    SURFACES[surface](bot, PING_PASTE)
    sent = [s for c in bot.api.calls if c.method != "auth.test" for s in strings(params(c))]
    assert sent
    for text in sent:
        assert not LIVE_TOKEN.search(text), text
    if surface != "list":  # the pasted words are shown, made harmless
        shown = "\n".join(sent)
        assert "@\u200bchannel" in shown and "&lt;!channel&gt;" in shown


# --------------------------------------------------------------------------- signatures


def _refused(bot: BotServer, resp: httpx.Response) -> None:
    assert resp.status_code == 401, (resp.status_code, resp.text)
    settle(bot)
    sent = [c.method for c in bot.api.calls
            if c.method != "auth.test" and not c.params.get("_name", "").startswith("slash")]
    assert sent == []


def _request(bot: BotServer) -> payloads.SlackRequest:
    return payloads.slash_command("RATE_LIMITED", response_url=bot.api.response_url("x"))


def test_wrong_signing_secret_is_refused(shared):
    _refused(shared, shared.send(_request(shared), secret="not-the-signing-secret"))


def test_stale_timestamp_is_refused(shared):
    _refused(shared, shared.send(_request(shared), timestamp=int(time.time()) - 6 * 60))


def test_timestamp_from_the_future_is_refused(shared):
    _refused(shared, shared.send(_request(shared), timestamp=int(time.time()) + 6 * 60))


def test_tampered_body_is_refused(shared):
    req = _request(shared)
    headers = payloads.signed_headers(SECRET, req)
    _refused(shared, shared.post_raw(req.body.replace("RATE_LIMITED", "CSRF_INVALID").encode(),
                               headers))


@pytest.mark.parametrize("missing", [
    ("X-Slack-Signature",), ("X-Slack-Request-Timestamp",),
    ("X-Slack-Signature", "X-Slack-Request-Timestamp"),
])
def test_missing_signature_headers_are_refused(shared, missing):
    req = _request(shared)
    headers = {k: v for k, v in payloads.signed_headers(SECRET, req).items() if k not in missing}
    _refused(shared, shared.post_raw(req.body.encode(), headers))


def test_unparsable_timestamp_is_refused_without_a_5xx(shared):
    req = _request(shared)
    headers = {**payloads.signed_headers(SECRET, req), "X-Slack-Request-Timestamp": "soon"}
    resp = shared.post_raw(req.body.encode(), headers)
    assert 400 <= resp.status_code < 500
    settle(shared)
    assert not [c for c in shared.api.calls_to("response_url") if c.params["_name"] == "x"]


def test_a_refused_event_does_not_use_up_its_event_id(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    assert bot.send(event, secret="forged").status_code == 401
    send_ok(bot, event)
    assert "RATE_LIMITED" in posted(bot)["text"]


# --------------------------------------------------------------------------- retries


def test_a_retried_event_is_answered_once(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    send_ok(bot, event)
    posted(bot)
    send_ok(bot, event, retry_num=1)
    send_ok(bot, event, retry_num=2)
    settle(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


def test_a_retried_event_is_answered_once_across_a_restart(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    send_ok(bot, event)
    posted(bot)
    bot.restart()
    send_ok(bot, event, retry_num=1)
    settle(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


def test_a_retry_of_an_event_never_seen_is_answered(bot):
    event = payloads.event_callback(payloads.app_mention_event("CSRF_INVALID"))
    send_ok(bot, event, retry_num=1)  # the first delivery was lost
    assert "CSRF_INVALID" in posted(bot)["text"]


def test_concurrent_deliveries_of_one_event_are_answered_once(bot):
    event = payloads.event_callback(payloads.app_mention_event("RATE_LIMITED"))
    statuses: list[int] = []

    def deliver(retry: int | None) -> None:
        statuses.append(bot.send(event, retry_num=retry).status_code)

    threads = [threading.Thread(target=deliver, args=(n or None,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    assert statuses == [200] * 6
    posted(bot)
    settle(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 1


def test_different_events_with_the_same_text_are_each_answered(bot):
    for _ in range(2):
        send_ok(bot, payloads.event_callback(payloads.app_mention_event("RATE_LIMITED")))
    posted(bot, 2)


# --------------------------------------------------------------------------- junk bodies


JUNK = {
    "invalid-json": (b"{not json", "application/json"),
    "empty-json": (b"", "application/json"),
    "empty-no-type": (b"", None),
    "json-array": (b"[1, 2]", "application/json"),
    "json-null": (b"null", "application/json"),
    "form-without-payload": (b"foo=bar", "application/x-www-form-urlencoded"),
    "broken-payload": (b"payload=%7Bbroken", "application/x-www-form-urlencoded"),
    "payload-not-an-object": (b"payload=%5B1%5D", "application/x-www-form-urlencoded"),
    "slash-form-as-json": (b"command=%2Ferrcode&text=x", "application/json"),
    "binary": (b"\xff\xfe\x00garbage", "application/octet-stream"),
    "xml": (b"<event><type>app_mention</type></event>", "text/xml"),
    "event-without-event": (b'{"type":"event_callback","event_id":"EvJ1"}',
                            "application/json"),
    "event-not-an-object": (b'{"type":"event_callback","event_id":"EvJ2","event":"x"}',
                            "application/json"),
    "event-null": (b'{"type":"event_callback","event_id":"EvJ3","event":null}',
                   "application/json"),
    "mention-text-not-a-string": (b'{"type":"event_callback","event_id":"EvJ4","event":'
                                  b'{"type":"app_mention","text":5,"channel":"C0CHAN",'
                                  b'"ts":"1.2"}}', "application/json"),
    "unknown-interaction": (b'payload=%7B%22type%22%3A%22nothing_we_know%22%7D',
                            "application/x-www-form-urlencoded"),
}


@pytest.mark.parametrize("kind", JUNK)
def test_signed_junk_gets_a_4xx_and_the_server_keeps_serving(shared, kind):
    body, content_type = JUNK[kind]
    headers = {**payloads.sign(SECRET, body)}
    if content_type:
        headers["Content-Type"] = content_type
    resp = shared.post_raw(body, headers)
    assert 400 <= resp.status_code < 500, (resp.status_code, resp.text)
    assert "RATE_LIMITED" in slash(shared, "RATE_LIMITED")["text"]


@pytest.mark.parametrize("kind", ["invalid-json", "empty-json", "form-without-payload",
                                  "event-not-an-object"])
def test_unsigned_junk_is_refused(shared, kind):
    body, content_type = JUNK[kind]
    resp = shared.post_raw(body, {"Content-Type": content_type})
    assert resp.status_code in (400, 401), (resp.status_code, resp.text)


def test_huge_body_is_refused_and_the_server_keeps_serving(shared):
    huge = b'{"type":"event_callback","event":{"text":"' + b"x" * MAX_BODY_BYTES + b'"}}'
    headers = {"Content-Type": "application/json", **payloads.sign(SECRET, huge)}
    resp = shared.post_raw(huge, headers)
    assert resp.status_code == 413
    assert "RATE_LIMITED" in slash(shared, "RATE_LIMITED")["text"]


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/slack/events", 405), ("PUT", "/slack/events", 405),
    ("POST", "/healthz", 405), ("GET", "/nowhere", 404),
])
def test_wrong_method_or_path_gets_a_4xx(shared, method, path, status):
    assert httpx.request(method, shared.url + path, timeout=5).status_code == status


def test_healthz_answers_200(shared):
    resp = httpx.get(shared.url + "/healthz", timeout=5)
    assert resp.status_code == 200 and resp.json() == {"ok": True}


def test_url_verification_challenge_is_echoed(shared):
    challenge = "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"
    resp = send_ok(shared, payloads.url_verification(challenge))
    assert resp.json()["challenge"] == challenge


# --------------------------------------------------------------------------- Web API faults


def test_web_api_429_is_waited_out_and_the_reply_lands_once(bot, caplog):
    caplog.set_level(logging.WARNING, logger="errcode")
    parent = payloads.new_ts()
    bot.api.add_thread(CHANNEL_ID, parent, [{"user": USER_ID, "text": "help please"}])
    bot.api.rate_limit_next("chat.postMessage", retry_after=1)
    mention(bot, "RATE_LIMITED", thread_ts=parent)
    first, second = bot.api.wait_for("chat.postMessage", 2)
    assert second.at - first.at >= 0.9  # Retry-After was honoured
    assert params(first)["text"] == params(second)["text"]
    settle(bot)
    assert len(bot.api.calls_to("chat.postMessage")) == 2
    thread = bot.api.client().conversations_replies(channel=CHANNEL_ID, ts=parent)["messages"]
    assert [m.get("bot_id") is not None for m in thread] == [False, True]  # one reply landed
    assert not bot.api.calls_to("chat.postEphemeral")
    assert "post_failed" not in caplog.text


@pytest.mark.parametrize("error", ["not_in_channel", "channel_not_found"])
def test_refused_post_to_a_mention_gives_a_private_hint(bot, caplog, error):
    caplog.set_level(logging.WARNING, logger="errcode")
    bot.api.fail_next("chat.postMessage", error)
    event = payloads.app_mention_event("RATE_LIMITED")
    send_ok(bot, payloads.event_callback(event))
    hint = params(bot.api.wait_for("chat.postEphemeral")[0])
    assert hint["text"] == api_error_hint(error)
    assert "/invite @errcode" in hint["text"]
    assert (hint["user"], hint["channel"]) == (USER_ID, CHANNEL_ID)
    assert hint["thread_ts"] == event["ts"]
    assert f"error={error}" in caplog.text and "post_failed" in caplog.text
    _, post = mention(bot, "CSRF_INVALID")  # and the bot keeps serving
    assert "CSRF_INVALID" in post["text"]


def test_refused_post_from_a_shortcut_gives_the_hint_through_response_url(bot):
    bot.api.fail_next("chat.postMessage", "not_in_channel")
    message = {"ts": payloads.new_ts(), "text": "RATE_LIMITED"}
    send_ok(bot, payloads.message_action(message, callback_id="triage_message",
                                         response_url=bot.api.response_url("sc")))
    hint = responses(bot, "sc")[0]
    assert hint["response_type"] == "ephemeral"
    assert hint["text"] == api_error_hint("not_in_channel")


def test_refused_share_keeps_the_private_answer_and_says_why(bot):
    private = slash(bot, "RATE_LIMITED")
    bot.api.fail_next("chat.postMessage", "channel_not_found")
    click = press(bot, buttons_of(private)[ACTION_SHARE], ephemeral=True)
    hint = responses(bot, click)[0]
    assert hint["text"] == api_error_hint("channel_not_found")
    settle(bot)
    assert not any(p.get("delete_original") for p in responses(bot, click))


# --------------------------------------------------------------------------- unmatched


def test_unmatched_query_is_stored_without_its_secrets(bot):
    out = slash(bot, "the widget frobnicator exploded password=hunter2xyz again")
    assert re.search(r"(?i)no documented error", out["text"])
    rows = bot.store.top_unmatched()
    assert len(rows) == 1 and rows[0].count == 1
    assert "frobnicator" in rows[0].text and "hunter2xyz" not in rows[0].text
    assert "REDACTED" in rows[0].text
    saved = bot.store.get_query(buttons_of(out)[ACTION_HELPFUL]["value"].split("|")[0])
    assert saved is not None and "hunter2xyz" not in saved.text  # what buttons replay
    assert "hunter2xyz" not in json.dumps([c.params for c in bot.api.calls])


def test_matched_queries_are_not_counted_as_unmatched(bot):
    slash(bot, "RATE_LIMITED")
    assert bot.store.top_unmatched() == []

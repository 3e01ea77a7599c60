"""Builders of the requests Slack sends to the bot, with Slack's real field names, and signing.

End-to-end tests and bench/bench_ack.py drive the real bolt app with these exactly as Slack
would: same content types, same payload shapes, and signatures made by slack_sdk's own
`SignatureVerifier` (the code bolt verifies them with).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import json
import re
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from slack_sdk.signature import SignatureVerifier

# Identity of the local workspace; the stand-in Web API (slack_api) answers with the same ids.
TEAM_ID = "T0TEAM"
TEAM_DOMAIN = "example"
APP_ID = "A0APP"
BOT_USER_ID = "U0BOT"
BOT_ID = "B0BOT"
BOT_NAME = "errcode"
USER_ID = "U0USER"
USER_NAME = "tester"
CHANNEL_ID = "C0CHAN"
CHANNEL_NAME = "support"
DM_CHANNEL_ID = "D0DM"
VERIFICATION_TOKEN = "local-verification-token"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"

_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_ts_counter = itertools.count(1)


@dataclass(frozen=True)
class SlackRequest:
    """One inbound HTTP request body as Slack would send it, ready to sign and post."""

    body: str
    content_type: str


# --------------------------------------------------------------------------- ids


def new_ts() -> str:
    """A fresh, strictly increasing message ts ("1714478400.000123") based on the clock."""
    now = int(time.time() * 1_000_000) + next(_ts_counter)
    return f"{now // 1_000_000}.{now % 1_000_000:06d}"


def new_trigger_id() -> str:
    """A trigger_id shaped like Slack's ("13345224609.738474920.8088930838d88f008e0")."""
    return f"{int(time.time())}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"


def new_event_id() -> str:
    """An Events API event_id ("Ev" + 9 upper-case characters)."""
    return "Ev" + secrets.token_hex(5).upper()[:9]


def _team() -> dict[str, str]:
    return {"id": TEAM_ID, "domain": TEAM_DOMAIN}


def _user(user_id: str, team_id: str) -> dict[str, str]:
    return {"id": user_id, "username": USER_NAME, "name": USER_NAME, "team_id": team_id}


def _channel_name(channel_id: str) -> str:
    return "directmessage" if channel_id.startswith("D") else CHANNEL_NAME


def _form(fields: dict[str, Any]) -> SlackRequest:
    return SlackRequest(urlencode(fields), FORM)


def _interactive(payload: dict[str, Any]) -> SlackRequest:
    """Interactivity requests are form-encoded with one `payload` field holding JSON."""
    return _form({"payload": json.dumps(payload, separators=(",", ":"))})


# --------------------------------------------------------------------------- slash commands


def slash_command(
    text: str,
    *,
    command: str = "/errcode",
    user_id: str = USER_ID,
    channel_id: str = CHANNEL_ID,
    response_url: str,
    team_id: str = TEAM_ID,
    trigger_id: str | None = None,
    user_name: str = USER_NAME,
    channel_name: str | None = None,
) -> SlackRequest:
    """A slash command invocation, form-encoded, fields in the order Slack sends them."""
    return _form(
        {
            "token": VERIFICATION_TOKEN,
            "team_id": team_id,
            "team_domain": TEAM_DOMAIN,
            "channel_id": channel_id,
            "channel_name": channel_name or _channel_name(channel_id),
            "user_id": user_id,
            "user_name": user_name,
            "command": command,
            "text": text,
            "api_app_id": APP_ID,
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or new_trigger_id(),
        }
    )


# --------------------------------------------------------------------------- Events API


def event_callback(
    event: dict[str, Any],
    *,
    event_id: str | None = None,
    team_id: str = TEAM_ID,
    api_app_id: str = APP_ID,
    event_time: int | None = None,
) -> SlackRequest:
    """The Events API envelope around one event, as JSON."""
    context = json.dumps({"et": event.get("type"), "tid": team_id, "aid": api_app_id})
    body = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": api_app_id,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_event_id(),
        "event_time": event_time if event_time is not None else int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": team_id,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + base64.urlsafe_b64encode(context.encode()).decode().rstrip("="),
    }
    return SlackRequest(json.dumps(body), JSON)


def rich_text_blocks(text: str) -> list[dict[str, Any]]:
    """The rich_text block Slack attaches to user messages, mentions split into user elements."""
    elements: list[dict[str, Any]] = []
    pos = 0
    for m in _MENTION.finditer(text):
        if m.start() > pos:
            elements.append({"type": "text", "text": text[pos : m.start()]})
        elements.append({"type": "user", "user_id": m.group(1)})
        pos = m.end()
    if pos < len(text):
        elements.append({"type": "text", "text": text[pos:]})
    section = {"type": "rich_text_section", "elements": elements}
    return [{"type": "rich_text", "block_id": secrets.token_hex(2), "elements": [section]}]


def _user_message(kind: str, text: str, user: str, channel: str, ts: str | None) -> dict[str, Any]:
    ts = ts or new_ts()
    return {
        "client_msg_id": str(uuid.uuid4()),
        "type": kind,
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text_blocks(text),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }


def app_mention_event(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
) -> dict[str, Any]:
    """An `app_mention` event; the bot mention is prefixed when missing (Slack always has it)."""
    if f"<@{BOT_USER_ID}>" not in text:
        text = f"<@{BOT_USER_ID}> {text}"
    event = _user_message("app_mention", text, user, channel, ts)
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def message_im_event(
    text: str,
    *,
    user: str = USER_ID,
    channel: str = DM_CHANNEL_ID,
    ts: str | None = None,
) -> dict[str, Any]:
    """A `message` event in the bot's direct-message channel (`channel_type` "im")."""
    event = _user_message("message", text, user, channel, ts)
    event["channel_type"] = "im"
    return event


def bot_message_event(
    text: str,
    *,
    channel: str = CHANNEL_ID,
    ts: str | None = None,
    thread_ts: str | None = None,
    bot_id: str = BOT_ID,
    user: str = BOT_USER_ID,
) -> dict[str, Any]:
    """A `message` event for a message this bot posted itself; bolt must ignore it."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": user,
        "bot_id": bot_id,
        "app_id": APP_ID,
        "bot_profile": {"id": bot_id, "app_id": APP_ID, "name": BOT_NAME, "team_id": TEAM_ID},
        "ts": ts,
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im" if channel.startswith("D") else "channel",
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def with_files(event: dict[str, Any], files: list[dict[str, Any]]) -> dict[str, Any]:
    """The same message with files shared on it. A `message` becomes subtype `file_share`
    (and, as Slack sends it, loses `team`); an `app_mention` keeps its type, gains `files`."""
    shared = {**event, "files": files, "upload": False, "display_as_bot": False}
    if event.get("type") == "message":
        shared["subtype"] = "file_share"
        shared.pop("team", None)
    return shared


def file_by_id(file_id: str) -> dict[str, Any]:
    """A file as some events carry it: the id only, to be looked up with files.info."""
    return {"id": file_id, "mode": "file_access", "file_access": "check_file_info",
            "created": int(time.time()), "timestamp": int(time.time()), "user": USER_ID}


def app_rate_limited(minute_rate_limited: int | None = None) -> SlackRequest:
    """Slack's notice that it drops this app's events for a minute (not an event_callback)."""
    minute = minute_rate_limited if minute_rate_limited is not None else int(time.time()) // 60 * 60
    body = {"token": VERIFICATION_TOKEN, "type": "app_rate_limited", "team_id": TEAM_ID,
            "minute_rate_limited": minute, "api_app_id": APP_ID}
    return SlackRequest(json.dumps(body), JSON)


def url_verification(challenge: str) -> SlackRequest:
    """The handshake Slack sends when the Events API request URL is saved."""
    body = {"token": VERIFICATION_TOKEN, "challenge": challenge, "type": "url_verification"}
    return SlackRequest(json.dumps(body), JSON)


# --------------------------------------------------------------------------- interactivity


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _envelope(kind: str, user_id: str, team_id: str) -> dict[str, Any]:
    """Fields every interactivity payload carries."""
    return {"type": kind, "token": VERIFICATION_TOKEN, "api_app_id": APP_ID, "team": _team(),
            "user": _user(user_id, team_id), "enterprise": None, "is_enterprise_install": False}


def message_action(
    message: dict[str, Any],
    *,
    callback_id: str,
    channel_id: str = CHANNEL_ID,
    user_id: str = USER_ID,
    response_url: str,
    trigger_id: str | None = None,
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A message shortcut on `message` (missing `type`/`ts` are filled in)."""
    message = {"type": "message", **message}
    message.setdefault("ts", new_ts())
    payload = _envelope("message_action", user_id, team_id)
    payload.update(
        action_ts=new_ts(), channel={"id": channel_id, "name": _channel_name(channel_id)},
        callback_id=callback_id, trigger_id=trigger_id or new_trigger_id(),
        response_url=response_url, message_ts=message["ts"], message=message,
    )
    return _interactive(payload)


def block_actions(
    action_id: str,
    value: str,
    *,
    block_id: str = "b",
    channel_id: str = CHANNEL_ID,
    user_id: str = USER_ID,
    message_ts: str | None = None,
    thread_ts: str | None = None,
    response_url: str,
    trigger_id: str | None = None,
    is_ephemeral: bool = False,
    message: dict[str, Any] | None = None,
    button_text: str = "Button",
    team_id: str = TEAM_ID,
) -> SlackRequest:
    """A button click. Slack omits `message` for ephemeral messages, so we do too unless given."""
    message_ts = message_ts or (message or {}).get("ts") or new_ts()
    container: dict[str, Any] = {"type": "message", "message_ts": message_ts,
                                 "channel_id": channel_id, "is_ephemeral": is_ephemeral}
    if thread_ts is not None:
        container["thread_ts"] = thread_ts
    action = {"action_id": action_id, "block_id": block_id, "text": _plain(button_text),
              "value": value, "type": "button", "action_ts": new_ts()}
    payload = _envelope("block_actions", user_id, team_id)
    payload.update(
        container=container, trigger_id=trigger_id or new_trigger_id(),
        channel={"id": channel_id, "name": _channel_name(channel_id)},
        state={"values": {}}, response_url=response_url, actions=[action],
    )
    if message is None and not is_ephemeral:
        message = {"type": "message", "user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID,
                   "text": "", "ts": message_ts, "team": team_id, "blocks": []}
        if thread_ts is not None:
            message["thread_ts"] = thread_ts
    if message is not None:
        payload["message"] = message
    return _interactive(payload)


def _state_value(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    return {"type": "plain_text_input", "value": value}


def view_submission(
    callback_id: str,
    values: dict[str, dict[str, Any]],
    *,
    private_metadata: str = "",
    user_id: str = USER_ID,
    view_id: str | None = None,
    team_id: str = TEAM_ID,
    title: str = "errcode",
) -> SlackRequest:
    """A modal submission. `values` is {block_id: {action_id: text | element state dict}};
    plain strings (or None, what Slack sends for an empty optional input) become
    plain_text_input states."""
    state = {
        block: {action: _state_value(v) for action, v in actions.items()}
        for block, actions in values.items()
    }
    blocks = [
        {"type": "input", "block_id": block, "label": _plain(block), "optional": False,
         "element": {"type": element["type"], "action_id": action}}
        for block, actions in state.items()
        for action, element in actions.items()
    ]
    view_id = view_id or "V" + secrets.token_hex(5).upper()[:10]
    view = {
        "id": view_id, "team_id": team_id, "type": "modal", "blocks": blocks,
        "private_metadata": private_metadata, "callback_id": callback_id,
        "state": {"values": state}, "hash": f"{int(time.time())}.{secrets.token_hex(4)}",
        "title": _plain(title), "clear_on_close": False, "notify_on_close": False,
        "close": _plain("Cancel"), "submit": _plain("Submit"), "previous_view_id": None,
        "root_view_id": view_id, "app_id": APP_ID, "external_id": "",
        "app_installed_team_id": team_id, "bot_id": BOT_ID,
    }
    payload = _envelope("view_submission", user_id, team_id)
    payload.update(trigger_id=new_trigger_id(), view=view, response_urls=[])
    return _interactive(payload)


# --------------------------------------------------------------------------- signing


def sign(signing_secret: str, body: str | bytes, timestamp: int | None = None) -> dict[str, str]:
    """Slack's v0 request signature ("v0=" + HMAC-SHA256 of "v0:{timestamp}:{raw body}").

    Made by slack_sdk's `SignatureVerifier`; a body that is not UTF-8 (junk, which bolt
    never reads that far) is signed over its raw bytes by the same scheme.
    """
    ts = str(int(time.time()) if timestamp is None else timestamp)
    try:
        text = body.decode("utf-8") if isinstance(body, bytes) else body
    except UnicodeDecodeError:
        raw = b"v0:" + ts.encode() + b":" + bytes(body)
        digest = hmac.new(signing_secret.encode(), raw, hashlib.sha256).hexdigest()
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": f"v0={digest}"}
    signature = SignatureVerifier(signing_secret).generate_signature(timestamp=ts, body=text)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": str(signature)}


def signed_headers(
    secret: str,
    req: SlackRequest,
    timestamp: int | None = None,
    retry_num: int | None = None,
    retry_reason: str | None = None,
) -> dict[str, str]:
    """Every header Slack sends with `req`, retries included (e.g. retry_reason "http_timeout")."""
    headers = {"Content-Type": req.content_type, **sign(secret, req.body, timestamp)}
    if retry_num is not None:
        headers["X-Slack-Retry-Num"] = str(retry_num)
    if retry_reason is not None:
        headers["X-Slack-Retry-Reason"] = retry_reason
    return headers

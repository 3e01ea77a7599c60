"""The message shortcut "Triage this error": the answer goes into the message's thread."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.answers import Asked, answer
from bot.slack.middleware import runtime
from bot.slack.posting import post, safe
from bot.slack.replies import reply_for


def on_triage_shortcut(ack: Ack, shortcut: dict, client: WebClient, respond: Respond,
                       context: BoltContext) -> None:
    ack()
    rt = runtime(context)
    message = shortcut.get("message") or {}
    channel = (shortcut.get("channel") or {}).get("id")
    user = (shortcut.get("user") or {}).get("id")
    asked = Asked(text=message_text(message), channel=channel, user=user, surface="shortcut")
    thread_ts = message.get("thread_ts") or message.get("ts")
    rt.later(lambda: post(client, respond, channel,
                          safe(lambda: reply_for(answer(rt.core, asked), rt.core.catalog)),
                          thread_ts=thread_ts))


def message_text(message: dict) -> str:
    """The text of a message, including attachment text people forward with it."""
    parts = [message.get("text") or ""]
    for att in message.get("attachments") or []:
        parts += [att.get("pretext") or "", att.get("text") or "", att.get("fallback") or ""]
    return "\n".join(p for p in parts if p)

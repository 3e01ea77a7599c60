"""The message shortcut "Triage this error": the answer goes into the message's thread.

Kept as a job (bot.slack.jobs) before the ack, like every question."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from bot.slack import jobs
from bot.slack.middleware import runtime


def on_triage_shortcut(ack: Ack, shortcut: dict, context: BoltContext) -> None:
    rt = runtime(context)
    message = shortcut.get("message") or {}
    jobs.submit(rt, jobs.THREAD, {
        "text": message_text(message), "channel": (shortcut.get("channel") or {}).get("id"),
        "user": (shortcut.get("user") or {}).get("id"), "surface": "shortcut",
        "paster": message.get("user"),  # told what was hidden; not the one who clicked
        "thread_ts": message.get("thread_ts") or message.get("ts"),
        "response_url": shortcut.get("response_url")})
    ack()


def message_text(message: dict) -> str:
    """The text of a message, including attachment text people forward with it."""
    parts = [message.get("text") or ""]
    for att in message.get("attachments") or []:
        parts += [att.get("pretext") or "", att.get("text") or "", att.get("fallback") or ""]
    return "\n".join(p for p in parts if p)

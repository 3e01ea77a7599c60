"""`@errcode <paste>` in a channel and direct messages: answered in the thread.

`@errcode escalate` inside a thread starts an escalation of that thread instead. Files
shared with the message (a log, a snippet Slack made of a long paste) are read and
triaged with its text (`listeners/events.py`). Each is kept as a job (bot.slack.jobs)
before the event is acked: Slack never resends an acked event, so it must not be lost.
"""

from __future__ import annotations

import re

from slack_bolt import BoltContext

from bot.answers import is_escalate, is_slow
from bot.slack import jobs
from bot.slack.jobs import NOT_IN_A_THREAD
from bot.slack.middleware import runtime

__all__ = ["NOT_IN_A_THREAD", "on_direct_message", "on_mention", "strip_bot_mention"]

_BOT_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def strip_bot_mention(text: str) -> str:
    """`<@U0BOT> RATE_LIMITED` -> `RATE_LIMITED` (only the leading mention)."""
    return _BOT_MENTION.sub("", text or "", count=1)


def on_mention(event: dict, context: BoltContext) -> None:
    rt = runtime(context)
    text = strip_bot_mention(event.get("text", ""))
    if is_escalate(text):
        jobs.submit(rt, jobs.ESCALATE_MENTION, {
            "channel": event.get("channel"), "ts": event.get("ts"),
            "thread_ts": event.get("thread_ts"), "user": event.get("user"),
            "bot_user": context.get("bot_user_id")}, slow=True)
        return
    jobs.submit(rt, jobs.THREAD, in_thread(event, text, "mention"),
                slow=is_slow(rt.core, text) or bool(event.get("files")))


def on_direct_message(event: dict, context: BoltContext) -> None:
    # Only a person's direct messages are answered; channel chatter is not ours to read.
    # A message with files is a person's too (subtype file_share); edits and joins are not.
    if event.get("channel_type") != "im" or event.get("bot_id") or event.get(
            "subtype") not in (None, "file_share"):
        return
    rt = runtime(context)
    jobs.submit(rt, jobs.THREAD, in_thread(event, event.get("text", ""), "dm"),
                slow=bool(event.get("files")))


def in_thread(event: dict, text: str, surface: str) -> dict:
    """The job of answering `text` under the event's message (or in its thread)."""
    return {"text": text, "channel": event.get("channel"), "user": event.get("user"),
            "thread_ts": event.get("thread_ts") or event.get("ts"), "surface": surface,
            "files": list(event.get("files") or [])}

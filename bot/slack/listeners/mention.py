"""`@errcode <paste>` in a channel and direct messages: answered in the thread.

`@errcode escalate` inside a thread starts an escalation of that thread instead. Files
shared with the message (a log, a snippet Slack made of a long paste) are read and
triaged with its text (`listeners/events.py`).
"""

from __future__ import annotations

import re

from slack_bolt import BoltContext
from slack_sdk import WebClient

from bot.answers import Asked, answer, is_escalate, is_slow
from bot.slack import escalation
from bot.slack.blocks import text_reply
from bot.slack.listeners.events import SharedFiles, images_only, read_files
from bot.slack.middleware import Runtime, runtime
from bot.slack.posting import post, safe
from bot.slack.replies import reply_for

NOT_IN_A_THREAD = ("Mention me with `escalate` *inside* the thread you want to escalate, or "
                   "use the message shortcut *Escalate this thread*.")
_BOT_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def strip_bot_mention(text: str) -> str:
    """`<@U0BOT> RATE_LIMITED` -> `RATE_LIMITED` (only the leading mention)."""
    return _BOT_MENTION.sub("", text or "", count=1)


def on_mention(event: dict, client: WebClient, context: BoltContext) -> None:
    rt = runtime(context)
    text = strip_bot_mention(event.get("text", ""))
    if not is_escalate(text):
        rt.later(lambda: answer_in_thread(rt, client, event, text, "mention"),
                 slow=is_slow(rt.core, text) or bool(event.get("files")))
        return

    def job() -> None:
        if not escalation.start_in_thread(rt.core, client, event, context.get("bot_user_id")):
            post(client, None, event.get("channel"), text_reply(NOT_IN_A_THREAD),
                 thread_ts=event.get("ts"))

    rt.later(job, slow=True)


def on_direct_message(event: dict, client: WebClient, context: BoltContext) -> None:
    # Only a person's direct messages are answered; channel chatter is not ours to read.
    # A message with files is a person's too (subtype file_share); edits and joins are not.
    if event.get("channel_type") != "im" or event.get("bot_id") or event.get(
            "subtype") not in (None, "file_share"):
        return
    rt = runtime(context)
    rt.later(lambda: answer_in_thread(rt, client, event, event.get("text", ""), "dm"),
             slow=bool(event.get("files")))


def answer_in_thread(rt: Runtime, client: WebClient, event: dict, text: str,
                     surface: str) -> None:
    """Answer under the message (or in its thread), its files read with it; a refused post
    becomes a private hint."""
    channel = event.get("channel")
    files = SharedFiles()
    if event.get("files"):  # queued as slow work: fetching them waits on Slack
        files = read_files(client, list(event["files"]))
    asked = Asked(text=files.with_text(text), channel=channel, user=event.get("user"),
                  surface=surface)
    reply = images_only(files, text) or files.note_on(
        safe(lambda: reply_for(answer(rt.core, asked), rt.core.catalog)))
    post(client, None, channel, reply, thread_ts=event.get("thread_ts") or event.get("ts"),
         user=event.get("user"))

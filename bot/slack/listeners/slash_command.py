"""`/errcode <paste>`: answered privately through the command's response_url.

The question is kept as a job (bot.slack.jobs) before the ack leaves, so an acknowledged
command is answered even if this replica dies right after acking.
"""

from __future__ import annotations

from slack_bolt import Ack, BoltContext

from bot.answers import is_slow
from bot.slack import jobs
from bot.slack.middleware import runtime


def on_command(ack: Ack, command: dict, context: BoltContext) -> None:
    rt = runtime(context)
    text = command.get("text", "")
    jobs.submit(rt, jobs.SLASH, {"text": text, "channel": command.get("channel_id"),
                                 "user": command.get("user_id"),
                                 "response_url": command.get("response_url")},
                slow=is_slow(rt.core, text), ack=ack)

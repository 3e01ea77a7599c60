"""Notes only one person sees: how many secrets were hidden from what they pasted.

An answer posted in a channel or thread never repeats a secret of the paste; the person
who pasted it is told privately (chat.postEphemeral) how many were hidden and of which
kinds (never a value), so they can delete their message and rotate them. A slash
command's answer is private already: the note is inside it (`replies.with_hidden_note`).
"""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import Reply, context, escape
from bot.slack.posting import Delivery
from bot.slack.workers import Deliveries

log = logging.getLogger("errcode.slack")

__all__ = ["tell_paster", "tell_privately"]


def tell_paster(client: WebClient, reply: Reply, channel: str | None, paster: str | None, *,
                thread_ts: str | None = None, after: Delivery | None = None) -> None:
    """The reply's private note (secrets hidden from the paste, `Reply.private_note`) to
    the person who pasted, once `after` (the reply's post) went through; nothing when the
    reply has no note."""
    if reply.private_note and paster and channel:
        tell_privately(client, channel, paster, reply.private_note, thread_ts=thread_ts,
                       after=after)


def tell_privately(client: WebClient, channel: str, user: str, note: str, *,
                   thread_ts: str | None = None, after: Delivery | None = None) -> None:
    """An ephemeral note to `user` (after `after` was posted, and only if it was), from the
    delivery pool when the client has one, so the caller does not wait on Slack."""

    def send() -> bool:
        if after is not None and not after:
            return False  # the reply was refused: the person got a hint instead
        try:
            client.chat_postEphemeral(channel=channel, user=user, text=note,
                                      thread_ts=thread_ts,
                                      blocks=[context(f":lock: {escape(note)}")])
            return True
        except SlackApiError as err:
            log.warning("event=private_note_failed channel=%s error=%s", channel,
                        err.response.get("error"))
            return False

    deliveries = getattr(client, "deliveries", None)
    if isinstance(deliveries, Deliveries):
        deliveries.send(send, after=after.outcome if after is not None else None)
    else:
        send()

"""Sending replies to Slack, and saying clearly when building or sending one fails.

A refused post (not in the channel, archived, rate limited) becomes a private hint
the person can act on; an unexpected failure becomes a message with a reference
that is also in the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.answers import plain_word
from bot.slack.blocks import Reply, text_reply

log = logging.getLogger("errcode.slack")

_HINTS = {
    "not_in_channel": "I'm not in this channel. Invite me with `/invite @errcode` and try "
                      "again.",
    "channel_not_found": "I can't see this channel (private, or I was removed). Invite me "
                         "with `/invite @errcode`, or use `/errcode` which answers only you.",
    "is_archived": "This channel is archived, so I can't post here.",
    "msg_too_long": "The answer was too long for Slack; try `errcode lookup` for the full "
                    "text.",
    "ratelimited": "Slack is rate-limiting me right now; please try again in a minute.",
}


def api_error_hint(error: str) -> str:
    """A sentence a user can act on, for a Slack Web API error code."""
    return _HINTS.get(error, f"Slack refused the message (`{plain_word(error)}`); the error "
                             "was logged.")


def post(client: WebClient, respond: Respond | None, channel: str | None, reply: Reply, *,
         thread_ts: str | None = None, user: str | None = None) -> bool:
    """Post a reply; on a Slack API error tell the user privately what to do, and log it."""
    try:
        client.chat_postMessage(channel=channel or "", text=reply.text, blocks=reply.blocks,
                                thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
        return True
    except SlackApiError as err:
        code = str(err.response.get("error", "unknown_error"))
        log.warning("event=post_failed channel=%s error=%s", channel, code)
        hint = api_error_hint(code)
        if respond is not None:
            respond(response_type="ephemeral", replace_original=False, text=hint)
        elif user:  # a mention or DM has no response_url: try a private note in place
            try:
                client.chat_postEphemeral(channel=channel or "", user=user, text=hint,
                                          thread_ts=thread_ts)
            except SlackApiError as again:
                log.warning("event=hint_failed channel=%s error=%s", channel,
                            again.response.get("error"))
        return False


def safe(build: Callable[[], Reply]) -> Reply:
    """Build a reply; an unexpected failure becomes a clear message and a log line."""
    try:
        return build()
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("event=reply_failed ref=%s", ref)
        return text_reply(f":warning: Something went wrong on our side (ref `{ref}`). The error "
                          "was logged; please try again or use `errcode lookup`.")

"""Sending replies to Slack, and saying clearly when building or sending one fails.

Posts go over the shared kept-alive connections (`bot.slack.connections`) and, when the
app has a delivery pool, leave the CPU worker at once (`bot.slack.workers.Deliveries`):
`respond()` and `post()` return before Slack has answered. A refused post (not in the
channel, archived, rate limited) becomes a private hint the person can act on; an
unexpected failure becomes a message with a reference that is also in the log.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future

from slack_bolt import Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.models.attachments import Attachment
from slack_sdk.models.blocks import Block
from slack_sdk.webhook import WebhookResponse

from bot.answers import plain_word
from bot.slack.blocks import Reply, text_reply
from bot.slack.connections import PooledWebClient, SlackConnections
from bot.slack.workers import Deliveries

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


class Delivery:
    """A post on its way to Slack. Truthy once Slack took it; reading that waits for it
    (only the Share button does: it removes the private answer after a public one)."""

    def __init__(self, outcome: Future[bool]) -> None:
        self.outcome = outcome

    def __bool__(self) -> bool:
        try:
            return bool(self.outcome.result(timeout=60))
        except Exception:
            return False


def post(client: WebClient, respond: Respond | None, channel: str | None, reply: Reply, *,
         thread_ts: str | None = None, user: str | None = None,
         metadata: dict | None = None) -> Delivery:
    """Post a reply; on a Slack API error tell the user privately what to do, and log it.
    Sent from the delivery pool when `client` has one, so the caller does not wait.
    `metadata` (event_type, event_payload) rides on the message, unseen by people."""

    def deliver() -> bool:
        return _post_now(client, respond, channel, reply, thread_ts=thread_ts, user=user,
                         metadata=metadata)

    deliveries = getattr(client, "deliveries", None)
    if isinstance(deliveries, Deliveries):
        return Delivery(deliveries.send(deliver))
    done: Future[bool] = Future()
    done.set_result(deliver())
    return Delivery(done)


def _post_now(client: WebClient, respond: Respond | None, channel: str | None, reply: Reply,
              *, thread_ts: str | None, user: str | None, metadata: dict | None = None) -> bool:
    try:
        client.chat_postMessage(channel=channel or "", text=reply.text, blocks=reply.blocks,
                                thread_ts=thread_ts, unfurl_links=False, unfurl_media=False,
                                metadata=metadata)
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


class PooledRespond(Respond):
    """bolt's `respond()` for one response_url, over the shared connections. With a
    delivery pool it returns at once (a Future of the WebhookResponse); one reply's posts
    still reach Slack in the order they were made."""

    def __init__(self, response_url: str | None, connections: SlackConnections,
                 deliveries: Deliveries | None = None) -> None:
        super().__init__(response_url=response_url)
        self._connections = connections
        self._deliveries = deliveries
        self._last: Future | None = None

    # Returns a Future when deliveries are pooled: callers that must know the outcome wait.
    def __call__(  # type: ignore[override]
                 self, text: str | dict = "", blocks: Sequence[dict | Block] | None = None,
                 attachments: Sequence[dict | Attachment] | None = None,
                 response_type: str | None = None,
                 replace_original: bool | None = None, delete_original: bool | None = None,
                 unfurl_links: bool | None = None, unfurl_media: bool | None = None,
                 thread_ts: str | None = None, metadata: dict | None = None
                 ) -> WebhookResponse | Future[WebhookResponse]:
        url = self.response_url
        if url is None:
            raise ValueError("respond is unsupported here as there is no response_url")
        message = dict(text) if isinstance(text, dict) else {
            "text": text, "blocks": list(blocks) if blocks else None,
            "attachments": list(attachments) if attachments else None,
            "response_type": response_type, "replace_original": replace_original,
            "delete_original": delete_original, "unfurl_links": unfurl_links,
            "unfurl_media": unfurl_media, "thread_ts": thread_ts, "metadata": metadata}
        message = {k: v for k, v in message.items() if v is not None}

        def deliver() -> WebhookResponse:
            resp = self._connections.post_json(url, message)
            if resp.status >= 300:
                log.warning("event=respond_failed status=%s", resp.status)
            return WebhookResponse(url=url, status_code=resp.status,
                                   body=resp.body.decode("utf-8", "replace"),
                                   headers=dict(resp.headers.items()))

        if self._deliveries is None:
            return deliver()
        self._last = self._deliveries.send(deliver, after=self._last)
        return self._last


__all__ = ["Delivery", "PooledRespond", "PooledWebClient", "SlackConnections", "api_error_hint",
           "post", "safe"]

"""The buttons under an answer: share, other matches, health check, feedback.

Each rebuilds what it needs from the saved (redacted) query its value names, through
the same `bot.answers` calls the console's numbered buttons make.
"""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.answers import health_answer, record_feedback, replay
from bot.slack.middleware import runtime
from bot.slack.posting import post, safe
from bot.slack.replies import reply_for

EXPIRED = "That answer has expired. Run `/errcode` again with the error."


def clicked_by(body: dict) -> tuple[str | None, str | None]:
    """The user who clicked and the channel the button was in."""
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id")
    return user, channel


def on_share(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
             context: BoltContext) -> None:
    """Post the private answer in the channel, then remove the private one."""
    ack()
    rt = runtime(context)
    user, channel = clicked_by(body)

    def job() -> None:
        shared = replay(rt.core, action.get("value", ""), user=user, channel=channel,
                        shared=True)
        if shared is None:
            respond(response_type="ephemeral", replace_original=False, text=EXPIRED)
        elif post(client, respond, channel, reply_for(shared, rt.core.catalog)):
            respond(delete_original=True)

    rt.later(job)


def on_others(ack: Ack, body: dict, action: dict, respond: Respond,
              context: BoltContext) -> None:
    """The candidates that were not confident, in full (privately)."""
    ack()
    rt = runtime(context)
    user, channel = clicked_by(body)
    ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))

    def job() -> None:
        again = replay(rt.core, action.get("value", ""), user=user, channel=channel,
                       show_others=True, offer_share=ephemeral)
        if again is None:
            respond(response_type="ephemeral", replace_original=False, text=EXPIRED)
            return
        reply = reply_for(again, rt.core.catalog)
        respond(response_type="ephemeral", replace_original=ephemeral, text=reply.text,
                blocks=reply.blocks)

    rt.later(job)


def on_health(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
              context: BoltContext) -> None:
    """Run the product's health checks; answer where the button was."""
    ack()
    rt = runtime(context)
    user, channel = clicked_by(body)
    product = action.get("value", "").partition("|")[2] or None
    container = body.get("container") or {}

    def job() -> None:
        reply = safe(lambda: reply_for(health_answer(rt.core, [], user=user, channel=channel,
                                                     product=product), rt.core.catalog))
        if container.get("is_ephemeral"):
            respond(response_type="ephemeral", replace_original=False, text=reply.text,
                    blocks=reply.blocks)
            return
        thread_ts = container.get("thread_ts") or container.get("message_ts")
        post(client, respond, channel, reply, thread_ts=thread_ts)

    rt.later(job, slow=True)


def on_helpful(ack: Ack, body: dict, action: dict, respond: Respond,
               context: BoltContext) -> None:
    ack()
    _feedback(body, action, respond, context, helpful=True)


def on_not_helpful(ack: Ack, body: dict, action: dict, respond: Respond,
                   context: BoltContext) -> None:
    ack()
    _feedback(body, action, respond, context, helpful=False)


def _feedback(body: dict, action: dict, respond: Respond, context: BoltContext, *,
              helpful: bool) -> None:
    rt = runtime(context)
    user, _ = clicked_by(body)

    def job() -> None:
        thanks = record_feedback(rt.core, action.get("value", ""), helpful=helpful, user=user)
        reply = reply_for(thanks, rt.core.catalog)
        respond(response_type="ephemeral", replace_original=False, text=reply.text,
                blocks=reply.blocks)

    rt.later(job)

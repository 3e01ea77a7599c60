"""Every way to start or finish an escalation: shortcut, buttons, the modal's submit.

Each acks, then queues the Slack-side flow of `bot.slack.escalation` in the slow pool
(it reads whole threads and uploads files).
"""

from __future__ import annotations

import logging

from slack_bolt import Ack, BoltContext, Respond
from slack_sdk import WebClient

from bot.slack import escalation
from bot.slack.escalation_blocks import answers_from_view, done_view, ref_from_view
from bot.slack.ids import ACTION_COMPLETE
from bot.slack.listeners.buttons import clicked_by
from bot.slack.middleware import runtime
from bot.slack.threads import ThreadRef

log = logging.getLogger("errcode.escalate")

BUILDING = "Building the packet: it will be posted in the thread in a few seconds."


def on_escalate_shortcut(ack: Ack, shortcut: dict, client: WebClient,
                         context: BoltContext) -> None:
    """The message shortcut "Escalate this thread"."""
    ack()
    rt = runtime(context)
    message = shortcut.get("message") or {}
    ref = ThreadRef((shortcut.get("channel") or {}).get("id", ""),
                    message.get("thread_ts") or message.get("ts", ""))
    user = (shortcut.get("user") or {}).get("id")
    rt.later(lambda: escalation.start(rt.core, client, ref, user=user,
                                      trigger_id=shortcut.get("trigger_id"),
                                      bot_user=context.get("bot_user_id")), slow=True)


def on_escalate_button(ack: Ack, body: dict, client: WebClient, context: BoltContext) -> None:
    """The Escalate button on an answer: escalate the thread the answer is in."""
    ack()
    rt = runtime(context)
    user, channel = clicked_by(body)
    container = body.get("container") or {}
    ref = ThreadRef(channel or "", container.get("thread_ts")
                    or container.get("message_ts") or "")
    rt.later(lambda: escalation.start(rt.core, client, ref, user=user,
                                      trigger_id=body.get("trigger_id"),
                                      bot_user=context.get("bot_user_id")), slow=True)


def on_prompt_button(ack: Ack, body: dict, action: dict, client: WebClient,
                     context: BoltContext) -> None:
    """The private prompt's buttons: complete the checklist (modal), or escalate as is."""
    ack()
    ref = ThreadRef.parse(action.get("value", ""))
    if ref is None:
        return
    rt = runtime(context)
    user, bot_user = (body.get("user") or {}).get("id"), context.get("bot_user_id")
    if action.get("action_id") == ACTION_COMPLETE:
        rt.later(lambda: escalation.start(rt.core, client, ref, user=user,
                                          trigger_id=body.get("trigger_id"),
                                          bot_user=bot_user), slow=True)
    else:
        rt.later(lambda: escalation.finish(rt.core, client, ref, user=user, answers={},
                                           bot_user=bot_user), slow=True)


def on_email_link(ack: Ack) -> None:
    """A link button: Slack opens the mailto: URL itself; the click still needs its ack."""
    ack()


def on_share_packet(ack: Ack, body: dict, action: dict, client: WebClient, respond: Respond,
                    context: BoltContext) -> None:
    """The closing note's button after an escalation in a direct message: the packet goes
    to the escalation channel (only the person who escalated sees, and may press, it)."""
    ack()
    rt = runtime(context)
    user, _ = clicked_by(body)

    def job() -> None:
        told = escalation.share_packet(rt.core, client, action.get("value", ""), user=user)
        respond(response_type="ephemeral", replace_original=False, text=told)

    rt.later(job, slow=True)


def on_form_submitted(ack: Ack, body: dict, view: dict, client: WebClient,
                      context: BoltContext) -> None:
    """The modal's answers: the modal says what happens next, the packet follows."""
    ack(response_action="update", view=done_view(BUILDING))
    ref = ref_from_view(view)
    if ref is None:
        log.warning("event=escalation_form_unreadable")
        return
    rt = runtime(context)
    user = (body.get("user") or {}).get("id")
    rt.later(lambda: escalation.finish(rt.core, client, ref, user=user,
                                       answers=answers_from_view(view),
                                       bot_user=context.get("bot_user_id")), slow=True)

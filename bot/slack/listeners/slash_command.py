"""`/errcode <paste>`: answered privately through the command's response_url."""

from __future__ import annotations

from slack_bolt import Ack, BoltContext, Respond

from bot.answers import Asked, answer, is_slow
from bot.slack.middleware import runtime
from bot.slack.posting import safe
from bot.slack.replies import reply_for


def on_command(ack: Ack, command: dict, respond: Respond, context: BoltContext) -> None:
    ack()
    rt = runtime(context)
    asked = Asked(text=command.get("text", ""), channel=command.get("channel_id"),
                  user=command.get("user_id"), surface="slash", ephemeral=True)

    def job() -> None:
        reply = safe(lambda: reply_for(answer(rt.core, asked), rt.core.catalog))
        respond(response_type="ephemeral", text=reply.text, blocks=reply.blocks)

    rt.later(job, slow=is_slow(rt.core, asked.text))

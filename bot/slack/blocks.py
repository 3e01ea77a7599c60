"""Block Kit pieces, within Slack's limits, with pasted text made harmless.

Everything shown is escaped (`&`, `<`, `>`), so a paste holding `<!channel>` or
`<@U123>` reads as text and pings nobody; catalog text is escaped too, since
`<token>` in a resolution would otherwise become a link. Long content is cut
with a note rather than rejected by Slack. Whole messages are built from these in
replies (answers), health_blocks and escalation_blocks.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from bot.answers import Action, Offer
from bot.slack.ids import ACTION_IDS
from bot.text import TRUNCATED, shorten

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT = 2000
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 3000
BLOCK_ANSWER_ACTIONS = "errcode_actions"

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_ICONS = {Action.HELPFUL: ":thumbsup: ", Action.NOT_HELPFUL: ":thumbsdown: "}


@dataclass(frozen=True)
class Reply:
    """A message ready for chat.postMessage / response_url: blocks plus a text fallback."""

    text: str
    blocks: list[dict] = field(default_factory=list)
    # For the person who pasted, never for the channel: how many secrets were hidden from
    # their paste (`bot.answers.hidden_note`). Sent with chat.postEphemeral after the reply.
    private_note: str = ""


def text_reply(text: str, *, title: str | None = None) -> Reply:
    """A plain message (help, notes, confirmations) in our own markup, so not escaped."""
    blocks = [header(title)] if title else []
    blocks.append(section(text))
    return Reply(text=cut(re.sub(r"[*_`]", "", text), MAX_FALLBACK), blocks=blocks)


# --------------------------------------------------------------------------- pieces


def escape(text: str) -> str:
    """Make text inert in mrkdwn: no links, mentions or broadcasts can come out of it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u200b" + m.group(1), text)


def cut(text: str, limit: int) -> str:
    return shorten(text, limit, TRUNCATED)


def section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, MAX_SECTION)}}


def header(text: str) -> dict:
    return {"type": "header", "text": {"type": "plain_text", "text": cut(text, MAX_HEADER),
                                       "emoji": True}}


def context(text: str) -> dict:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": cut(text, MAX_CONTEXT)}]}


def button(label: str, action_id: str, value: str, style: str | None = None) -> dict:
    b = {"type": "button", "text": {"type": "plain_text", "text": cut(label, 75), "emoji": True},
         "action_id": action_id, "value": value[:MAX_BUTTON_VALUE]}
    if style:
        b["style"] = style
    return b


def actions(offers: Sequence[Offer], block_id: str = BLOCK_ANSWER_ACTIONS) -> dict | None:
    """An answer's offers as one row of buttons; None when it offers nothing."""
    if not offers:
        return None
    return {"type": "actions", "block_id": block_id, "elements": [
        button(_ICONS.get(o.action, "") + o.label, ACTION_IDS[o.action], o.value,
               "primary" if o.primary else None) for o in offers]}


def slack_date(epoch: int, fallback: str) -> str:
    """Slack's date token: each reader sees the time in their own time zone."""
    return f"<!date^{epoch}^{{date_short_pretty}} at {{time_secs}}|{escape(fallback)}>"


def fit_blocks(blocks: list[dict], keep_tail: int = 0) -> list[dict]:
    """At most 50 blocks: drop from the middle, keep the tail (buttons), say so."""
    if len(blocks) <= MAX_BLOCKS:
        return blocks
    tail = blocks[len(blocks) - keep_tail:] if keep_tail else []
    room = MAX_BLOCKS - len(tail) - 1
    dropped = len(blocks) - keep_tail - room
    note = context(f"_{dropped} more blocks not shown (Slack allows {MAX_BLOCKS}); "
                   "run `errcode lookup` for the full answer._")
    return [*blocks[:room], note, *tail]

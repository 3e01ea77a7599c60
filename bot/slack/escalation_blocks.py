"""Escalation in Block Kit: the modal asking for missing facts, the prompt, the closing note.

What to ask comes from the draft (`bot.escalation`); these only lay it out.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.answers import found_in_thread
from bot.escalation.draft import Draft, plural
from bot.escalation.flow import EscalationResult
from bot.slack.blocks import button, context, cut, escape, section
from bot.slack.ids import (
    ACTION_AS_IS,
    ACTION_COMPLETE,
    ACTION_EMAIL,
    ACTION_SHARE_PACKET,
    VIEW_ESCALATE,
)
from bot.slack.threads import ThreadRef

MULTILINE = {"steps_to_reproduce", "logs", "error_messages"}
MAX_MODAL_BLOCKS = 100
MAX_URL = 3000


def loading_view() -> dict:
    """Opened at once: a trigger id expires in 3 s and a long thread takes longer to read."""
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "blocks": [section(":hourglass_flowing_sand: Reading the thread…")]}


def done_view(text: str) -> dict:
    return {"type": "modal", "title": {"type": "plain_text", "text": "Escalate"},
            "close": {"type": "plain_text", "text": "Close"}, "blocks": [section(escape(text))]}


def form_view(draft: Draft, ref: ThreadRef) -> dict:
    """A modal asking only for the checklist items the thread did not answer."""
    blocks: list[dict] = [section(escape(found_in_thread(draft))),
                          context("Everything you enter is redacted of secrets before it is "
                                  "stored or posted. All fields are optional.")]
    for item in draft.missing:
        element = {"type": "plain_text_input", "action_id": "value",
                   "multiline": item.key in MULTILINE}
        blocks.append({"type": "input", "block_id": item.key, "optional": True,
                       "label": {"type": "plain_text", "text": cut(item.label, 2000)},
                       "element": element})
    return {"type": "modal", "callback_id": VIEW_ESCALATE,
            "private_metadata": json.dumps({"channel": ref.channel, "thread_ts": ref.thread_ts}),
            "title": {"type": "plain_text", "text": "Escalate"},
            "submit": {"type": "plain_text", "text": "Build packet"},
            "close": {"type": "plain_text", "text": "Cancel"},
            "blocks": blocks[:MAX_MODAL_BLOCKS]}


def answers_from_view(view: dict) -> dict[str, str]:
    """The submitted form's non-empty answers, by checklist key."""
    values = (view.get("state") or {}).get("values") or {}
    out = {}
    for block_id, fields in values.items():
        value = (fields.get("value") or {}).get("value")
        if isinstance(value, str) and value.strip():
            out[block_id] = value.strip()
    return out


def ref_from_view(view: dict) -> ThreadRef | None:
    """The thread a submitted form belongs to (kept in its private_metadata)."""
    try:
        meta = json.loads(view.get("private_metadata") or "{}")
        return ThreadRef(str(meta["channel"]), str(meta["thread_ts"]))
    except (ValueError, KeyError, TypeError):
        return None


def missing_text(draft: Draft) -> str:
    return ", ".join(item.label for item in draft.missing)


def prompt_blocks(draft: Draft, ref: ThreadRef) -> list[dict]:
    """Without a modal (a mention has no trigger): say what is missing, offer two ways on."""
    return [
        section(f":clipboard: *Escalation of this thread*\n{escape(found_in_thread(draft))}\n"
                f"Still needed: {escape(missing_text(draft))}"),
        {"type": "actions", "block_id": "escalation_prompt", "elements": [
            button("Complete escalation", ACTION_COMPLETE, ref.key, "primary"),
            button("Escalate as is", ACTION_AS_IS, ref.key)]}]


def private_blocks(result: EscalationResult, *, share: PacketShare | None = None,
                   own_note: str = "") -> list[dict]:
    """Told only to the person escalating: what was redacted, the email draft, and (for an
    escalation in a direct message) the offer to share the packet in the escalation
    channel. `own_note`: secrets hidden from their own messages, and what to do."""
    blocks = [section(escape(result.private_note))]
    if own_note:
        blocks.append(context(f":lock: {escape(own_note)}"))
    if share is not None:
        blocks.append(section(
            f":lock: This is a direct message, so <#{share.channel}> was told only that an "
            "escalation exists: no errors, messages or files from here. Share the packet "
            "there when support should see it."))
    elements = []
    if share is not None:
        elements.append(button("Share packet in the escalation channel",
                               ACTION_SHARE_PACKET, share.value, "primary"))
    if result.email:
        elements.append({**button("Open email draft", ACTION_EMAIL, result.record.id),
                         "url": result.email[:MAX_URL]})
    if elements:
        blocks.append({"type": "actions", "block_id": "escalation_done", "elements": elements})
    return blocks


@dataclass(frozen=True)
class PacketShare:
    """What the Share button of a direct-message escalation carries: the packet (id and
    version) and the notice in the escalation channel it is shared under."""

    packet_id: str
    version: int
    channel: str  # the escalation channel
    notice_ts: str | None = None

    @property
    def value(self) -> str:
        return f"{self.packet_id}|{self.version}|{self.notice_ts or ''}"

    @classmethod
    def parse(cls, value: str, channel: str) -> PacketShare | None:
        packet_id, _, rest = value.partition("|")
        version, _, ts = rest.partition("|")
        if not packet_id or not version.isdigit():
            return None
        return cls(packet_id, int(version), channel, ts or None)


def announcement_blocks(result: EscalationResult, permalink: str | None) -> list[dict]:
    """The line in the escalation channel, linking back to the thread."""
    link = f" · <{permalink}|thread>" if permalink else ""
    return [section(f":rotating_light: {escape(result.summary)}{link}")]


def dm_notice_text(result: EscalationResult, user: str | None) -> str:
    """The escalation channel's line for an escalation in a direct message: who, which
    packet, how many errors; nothing the DM said (no codes, messages or files)."""
    rec, packet = result.record, result.packet
    who = f" by <@{user}>" if user else ""
    return (f"An escalation was started in a direct message{who}: {rec.id} v{rec.version}"
            f" ({escape(packet.product_name)}), {plural(len(packet.errors), 'error')}. "
            "The packet stays in the DM unless it is shared here.")


def dm_notice_blocks(result: EscalationResult, user: str | None) -> list[dict]:
    return [section(f":lock: {dm_notice_text(result, user)}")]


def shared_packet_text(packet_id: str, version: int, title: str, user: str | None) -> str:
    """The comment on a packet shared from a direct message into the escalation channel."""
    who = f" by <@{user}>" if user else ""
    return f"{packet_id} v{version}: {title} (shared from a direct message{who})"

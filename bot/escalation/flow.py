"""Thread messages -> stored, versioned escalation packet; shared by Slack and the CLI.

What the thread says is drafted first; earlier answers for the same thread are reused
so nothing is asked twice; health checks run for the product; everything is redacted
with one Redactor before it is stored, posted or uploaded.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot.core import Core
from bot.escalation.draft import Draft, ThreadMessage, draft_from_thread, plural
from bot.escalation.packet import Packet, assemble
from bot.escalation.render import email_draft, packet_json, packet_markdown
from bot.redact import Redactor
from bot.store import PacketRecord


@dataclass(frozen=True)
class Prepared:
    """The draft of an escalation, before the person escalating is asked anything."""

    draft: Draft
    known: Mapping[str, str]  # answers given for an earlier version of this thread's packet
    previous: PacketRecord | None


@dataclass(frozen=True)
class EscalationResult:
    packet: Packet
    record: PacketRecord
    summary: str  # one line for the thread and the escalation channel
    private_note: str  # told only to the person escalating
    email: str | None  # mailto: draft to the product's support contact


def prepare_escalation(services: Core, messages: Sequence[ThreadMessage], *,
                       thread_key: str, channel: str | None = None,
                       answers: Mapping[str, str] | None = None) -> Prepared:
    previous = services.store.packet_for_thread(thread_key) if services.store else None
    known = dict(_previous_answers(previous))
    known.update(answers or {})
    draft = draft_from_thread(messages, services.engine,
                              product_hint=services.settings.product_for_channel(channel),
                              known=known)
    return Prepared(draft=draft, known=known, previous=previous)


def finish_escalation(services: Core, messages: Sequence[ThreadMessage], *,
                      thread_key: str, thread: str | None, channel: str | None,
                      user: str | None, answers: Mapping[str, str],
                      run_health: bool = True,
                      prepared: Prepared | None = None) -> EscalationResult:
    """Assemble, redact and store the packet (a new version when the thread was escalated).

    `prepared`: the draft already made of these messages, so the thread is not triaged
    again (answers only add to what it knew)."""
    if services.store is None:
        raise ValueError("escalation needs a Store")
    if prepared is None:
        prepared = prepare_escalation(services, messages, thread_key=thread_key,
                                      channel=channel)
    known = {**prepared.known, **answers}
    draft = prepared.draft
    health = None
    if run_health and draft.product in services.health_products:
        health = services.check_health(product=draft.product, user=user, channel=channel)
    redactor = Redactor(extra_patterns=services.settings.redact_patterns)
    packet = assemble(draft, services.catalog, health=health, answers=known,
                      thread=thread, author=user, redactor=redactor, messages=messages)
    record = services.store.save_packet(
        thread_key, product=packet.product, author=user, title=packet.title,
        markdown=packet_markdown(packet),
        data_json=json.dumps(packet_json(packet), indent=2, ensure_ascii=False))
    missing = [line.label for line in packet.checklist if not line.done]
    summary = f"{record.id} v{record.version}: {packet.title}"
    if missing:
        summary += f" (still missing: {', '.join(missing)})"
    kinds = ", ".join(f"{n} {kind}" for kind, n in sorted(packet.redacted_kinds.items()))
    note = (f"Escalation packet {record.id} (version {record.version}) is in the thread. "
            + (f"{plural(packet.redacted, 'secret')} redacted ({kinds})." if packet.redacted
               else "Nothing needed redacting."))
    return EscalationResult(packet=packet, record=record, summary=summary, private_note=note,
                            email=email_draft(packet))


def _previous_answers(previous: PacketRecord | None) -> Mapping[str, str]:
    if previous is None:
        return {}
    try:
        answers = json.loads(previous.data_json).get("answers") or {}
    except (ValueError, AttributeError):
        return {}
    return {str(k): str(v) for k, v in answers.items() if isinstance(v, str) and v}

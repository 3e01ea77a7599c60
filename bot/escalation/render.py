"""An escalation packet as Markdown for people, JSON for tools, and a mailto: draft.

The packet is already redacted (`bot.escalation.assemble`); these only lay it out.
Pasted text goes into fenced blocks whose fence is longer than any backtick run in it,
so nothing pasted can break out of its block.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from bot.escalation.draft import SCHEMA, ErrorSeen, plural
from bot.escalation.packet import Packet

__all__ = ["email_draft", "packet_json", "packet_markdown"]

MAX_MAILTO = 2_000  # what mail clients and browsers reliably accept
_TICKS = re.compile(r"`+")


def _fence(text: str, lang: str = "") -> str:
    longest = max((len(m) for m in _TICKS.findall(text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{lang}\n{text.rstrip()}\n{fence}"


def _inline(text: str) -> str:
    """One line of pasted text, safe inside a Markdown table or list item."""
    flat = " ".join(text.split()).replace("|", "\\|")
    return flat.replace("<", "&lt;").replace(">", "&gt;")


def _error_line(e: ErrorSeen) -> str:
    entry = " — not in the catalog"
    if e.catalog:
        other = f" `{e.entry_code}`" if e.entry_code != e.code else ""
        entry = f" — {e.title} ({e.catalog}{other})"
    parts = [f"**{e.seen_at or 'time unknown'}** `{e.code}`{entry}"]
    if e.http_status:
        parts.append(f"HTTP {e.http_status}")
    if e.count > 1:
        parts.append(f"seen {e.count}×")
    line = "- " + " · ".join(parts)
    sub = []
    if e.message:
        sub.append(f"message: {_inline(e.message)}")
    if e.request_id:
        sub.append(f"request id: `{e.request_id}`")
    if e.fields:
        sub.append("details.fields: " + ", ".join(f"`{_inline(f)}`" for f in e.fields))
    if e.details:
        sub.append(f"details: `{_inline(e.details)}`")
    if e.retry:
        sub.append(f"retry: {_inline(e.retry)}")
    sub.append(f"source: {e.source}")
    return "\n".join([line, *(f"  - {s}" for s in sub)])


def packet_markdown(p: Packet) -> str:
    """The packet for people: what support reads first comes first."""
    done = sum(c.done for c in p.checklist)
    out = [f"# Escalation: {_inline(p.title)}", "",
           f"**Product:** {p.product_name}  ",
           f"**Created:** {p.created_at}" + (f" by {p.author}" if p.author else "") + "  ",
           f"**Thread:** {p.thread or '-'}  ",
           f"**Support contact:** {p.support_email or 'see the product documentation'}", "",
           "## Summary", "", _inline(p.summary), "",
           f"## Checklist ({done}/{len(p.checklist)} complete)", ""]
    out += [f"- [{'x' if c.done else ' '}] **{c.label}**: {_inline(c.value)}"
            for c in p.checklist]
    out += ["", "## Errors (timeline)", ""]
    out += [_error_line(e) for e in p.errors] or ["No documented errors were found in the thread."]
    out += ["", "## Request ids", ""]
    out += [f"- `{rid}`" for rid in p.request_ids] or ["None found in the thread."]
    out += ["", "## Health", ""]
    if p.health_text:
        out += [f"Status: **{p.health_status}**", "", _fence(p.health_text)]
    else:
        out.append("No health output: no health target is configured for this product.")
    out += ["", "## Environment", ""]
    out += [f"- **{k.replace('_', ' ')}**: {_inline(v)}" for k, v in p.environment.items()] or [
        "Not stated in the thread."]
    out += ["", "## Steps to reproduce", ""]
    out.append(_fence(p.steps_to_reproduce) if p.steps_to_reproduce else "Not stated.")
    out += ["", "## Logs excerpt", ""]
    out.append(_fence(p.logs_excerpt) if p.logs_excerpt else "No log lines in the thread.")
    if p.excerpts:
        out += ["", "## The messages with errors, as pasted", ""]
        for where, text in p.excerpts:
            out += [f"**{where}**", "", _fence(text), ""]
    kinds = ", ".join(f"{n} {k}" for k, n in sorted(p.redacted_kinds.items()))
    out += ["", "---", "", f"Built by errcode from {p.messages} messages. "
            + (f"{plural(p.redacted, 'secret occurrence')} redacted ({kinds}); placeholders "
               "such as `[REDACTED:token#1]` stand for the same secret everywhere in this packet."
               if p.redacted else "Nothing needed redacting.")]
    return "\n".join(out) + "\n"


def packet_json(p: Packet) -> dict:
    """The packet for tools: `schema` names the shape so consumers can check it."""
    return {
        "schema": SCHEMA, "product": p.product, "product_name": p.product_name,
        "title": p.title, "summary": p.summary, "created_at": p.created_at,
        "author": p.author, "thread": p.thread, "messages": p.messages,
        "errors": [{"code": e.code, "catalog": e.catalog, "entry": e.entry_code,
                    "title": e.title, "message": e.message, "http_status": e.http_status,
                    "request_id": e.request_id, "seen_at": e.seen_at,
                    "details": {"fields": list(e.fields), "other": e.details},
                    "kind": e.kind, "count": e.count, "source": e.source, "retry": e.retry}
                   for e in p.errors],
        "request_ids": list(p.request_ids),
        "health": {"status": p.health_status, "report": p.health, "text": p.health_text},
        "environment": dict(p.environment), "steps_to_reproduce": p.steps_to_reproduce,
        "logs_excerpt": p.logs_excerpt,
        "excerpts": [{"where": where, "text": text} for where, text in p.excerpts],
        "checklist": [{"key": c.key, "label": c.label, "done": c.done, "value": c.value}
                      for c in p.checklist],
        "answers": dict(p.answers),
        "redacted": {"count": p.redacted, "kinds": dict(p.redacted_kinds)},
        "support_email": p.support_email,
    }


def email_draft(p: Packet) -> str | None:
    """`mailto:` to the product's support with subject and a short body; None without one."""
    if not p.support_email:
        return None
    first = next((e for e in p.errors if e.catalog), p.errors[0] if p.errors else None)
    subject = f"[{p.product_name}] {first.code if first else 'Escalation'}"
    if p.request_ids:
        subject += f" ({p.request_ids[0]})"
    lines = [f"Escalation: {p.title}", "", p.summary, ""]
    lines += [f"- {k.replace('_', ' ')}: {v}" for k, v in p.environment.items()]
    if p.request_ids:
        lines += ["", "Request ids: " + ", ".join(p.request_ids)]
    lines += ["", "Open checklist items: " + (", ".join(c.label for c in p.checklist
                                                      if not c.done) or "none")]
    if p.thread:
        lines += ["", f"Full packet (Markdown and JSON) in our thread: {p.thread}"]
    head = f"mailto:{quote(p.support_email, safe='@')}?subject={quote(subject)}&body="
    body = quote("\n".join(lines))
    if len(head) + len(body) > MAX_MAILTO:  # cut on a whole %-escape
        more = quote("\n…")
        body = body[:MAX_MAILTO - len(head) - len(more)]
        body = body[:body.rfind("%")] if "%" in body[-2:] else body
        body += more
    return head + body

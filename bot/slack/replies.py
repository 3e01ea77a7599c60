"""Answer -> the Slack message: one section per documented error, listings, notes.

The answer itself comes from `bot.answers`, the same one the console prints; this
module only lays it out in Block Kit (see `bot.slack.blocks` for the limits kept).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bot.answers import Answer, hidden_note
from bot.catalog.model import Catalog, Entry, Product
from bot.slack.blocks import (
    MAX_FALLBACK,
    MAX_SECTION,
    Reply,
    actions,
    context,
    cut,
    escape,
    fit_blocks,
    header,
    section,
    slack_date,
    text_reply,
)
from bot.slack.health_blocks import health_reply
from bot.triage.engine import Finding, Triage
from bot.triage.render import (
    STATUS_ALONE,
    same_status_line,
    says_more_than_title,
    symptoms_shown,
)


def reply_for(answer: Answer, catalog: Catalog) -> Reply:
    """The Slack message for an answer of any kind."""
    if answer.kind == "help":
        return text_reply(answer.note, title="errcode help")
    if answer.kind == "list":
        return catalog_reply(catalog.products, catalog.entries, answer.product)
    if answer.kind == "health" and answer.health is not None:
        return health_reply(answer.health)
    if answer.kind == "triage" and answer.triage is not None:
        return with_hidden_note(answer, triage_reply(answer, catalog.products))
    return text_reply(answer.note)


def with_hidden_note(answer: Answer, reply: Reply) -> Reply:
    """Say privately how many secrets were hidden from the paste: inside an answer only the
    asker sees (a slash command's), else as a note the surface sends to the paster alone."""
    if not answer.hidden:
        return reply
    if answer.ephemeral:
        note = hidden_note(answer.hidden, posted=None)
        return Reply(text=reply.text, blocks=fit_blocks([context(f":lock: {escape(note)}"),
                                                         *reply.blocks], keep_tail=1))
    return Reply(text=reply.text, blocks=reply.blocks, private_note=hidden_note(answer.hidden))


# --------------------------------------------------------------------------- triage


def triage_reply(answer: Answer, products: Mapping[str, Product]) -> Reply:
    """The answer to one paste: one section per error, then ids, candidates, buttons."""
    t = answer.triage
    assert t is not None
    blocks: list[dict] = []
    confident = t.confident
    if answer.shared_by:
        blocks.append(context(f"Shared by <@{answer.shared_by}>"))
    if t.evidence.truncated:
        blocks.append(context("_The paste was very large: only its first part was read._"))
    if not confident:
        blocks += _no_match(t, products)
    else:
        if t.ambiguous:
            names = " and ".join(sorted({_pname(f.entry, products) for f in confident[:2]}))
            blocks.append(context(f":grey_question: This code exists in {escape(names)}; both "
                                  "are shown. Say which product to narrow it down."))
        for i, finding in enumerate(confident):
            if i:
                blocks.append({"type": "divider"})
            blocks += _finding_blocks(finding, products)
        if t.evidence.request_ids:
            ids = ", ".join(f"`{escape(r)}`" for r in t.evidence.request_ids[:20])
            blocks.append(section(f"*Request ids:* {ids}"))
    others = t.others if confident else ()
    if answer.show_others and others:
        blocks.append({"type": "divider"})
        blocks.append(section("*Other candidates*"))
        for f in others:
            blocks += _finding_blocks(f, products)
    elif others:
        blocks.append(context("Other candidates: " + ", ".join(
            f"`{escape(f.entry.code)}` ({escape(_pname(f.entry, products))})" for f in others)))
    row = actions(answer.offers)
    blocks = fit_blocks(blocks + ([row] if row else []), keep_tail=1 if row else 0)
    return Reply(text=cut(triage_fallback(t, products), MAX_FALLBACK), blocks=blocks)


def triage_fallback(t: Triage, products: Mapping[str, Product]) -> str:
    """The notification / screen-reader text of an answer."""
    if not t.confident:
        return "errcode: no documented error recognised in this paste."
    parts = [f"{f.entry.code} ({_pname(f.entry, products)}"
             + (f", HTTP {f.entry.http_status}" if f.entry.http_status else "")
             + f"): {f.entry.meaning}" for f in t.confident[:5]]
    return escape("errcode: " + " | ".join(parts))


def _finding_blocks(f: Finding, products: Mapping[str, Product]) -> list[dict]:
    e = f.entry
    status = f" · HTTP {e.http_status}" if e.http_status else ""
    blocks = [header(f"{e.code} · {_pname(e, products)}{status}")]
    lines = [f"*{escape(e.title)}*"]
    if says_more_than_title(e):
        lines.append(f"*Meaning:* {escape(e.meaning)}")
    if f.mention and f.mention.message:
        lines.append(f"*Message:* {escape(f.mention.message)}")
    if f.mention and f.mention.request_id:
        lines.append(f"*Request id:* `{escape(f.mention.request_id)}`")
    if f.mention and f.mention.fields:
        lines.append("*Fields (verbatim):*\n```" + escape("\n".join(f.mention.fields)) + "```")
    if symptoms := symptoms_shown(e):
        lines.append("*Symptoms:* " + escape(" ".join(symptoms)))
    blocks.append(section("\n".join(lines)))
    blocks.append(section(f"*Retry:* {_retry_text(f)}"))
    steps = []
    if e.causes:
        steps.append("*Possible causes:*\n" + "\n".join(
            f"• {escape(c.cause)}" + (f" — {escape(c.fix)}" if c.fix else "") for c in e.causes))
    steps.append("*Resolution:*\n" + "\n".join(
        f"{i}. {escape(step)}" for i, step in enumerate(e.resolution, 1)))
    blocks.append(section("\n".join(steps)))
    for command in f.commands[:6]:
        blocks.append(section(f"_{escape(command.label)}_\n```{escape(command.run)}```"))
    why = "; ".join(escape(w) for w in f.evidence)
    blocks.append(context(f"Why: {why} · score {f.score:.0f}"
                          + ("" if f.confident else " (not confident)")))
    return blocks


def _retry_text(f: Finding) -> str:
    text = escape(f.retry.advice)
    at = f.retry.retry_at
    if at is not None:
        # The advice gives the moment as a clock, with its date when not today: the token
        # replaces all of it, or a reader would see the date twice.
        dated, stamp = at.strftime("%Y-%m-%d %H:%M:%S UTC"), at.strftime("%H:%M:%S UTC")
        stamp = dated if escape(dated) in text else stamp
        token = slack_date(int(at.timestamp()), stamp)
        text = text.replace(escape(stamp), token, 1) if escape(stamp) in text else (
            f"{text} ({token})")
    icon = {"yes": ":repeat:", "once": ":repeat_one:", "rarely": ":warning:", "no": ":no_entry:"}
    return f"{icon.get(f.retry.policy, '')} {text}".strip()


def _no_match(t: Triage, products: Mapping[str, Product]) -> list[dict]:
    if t.same_status:  # recognised, just not told apart
        blocks = [section(f":mag: *{STATUS_ALONE}*")]
        blocks.append(section(f"*{escape(same_status_line(t, products))}*\n" + "\n".join(
            f"• `{escape(e.code)}` ({escape(_pname(e, products))}): {escape(e.title)}"
            for e in t.same_status[:10])))
        blocks.append(context("Paste the response body or the error code to tell which."))
        return blocks
    blocks = [section(":mag: *No documented error recognised in this paste.*")]
    nearest: Sequence[Entry] = [f.entry for f in t.findings] or list(t.nearest)
    if nearest:
        blocks.append(section("*Nearest entries:*\n" + "\n".join(
            f"• `{escape(e.code)}` ({escape(_pname(e, products))}): {escape(e.title)}"
            for e in nearest[:5])))
    blocks.append(context("Paste the exact error code or the JSON error body, or try "
                          "`/errcode list` to see every documented code."))
    return blocks


def _pname(e: Entry, products: Mapping[str, Product]) -> str:
    p = products.get(e.catalog)
    return p.name if p else e.catalog


# --------------------------------------------------------------------------- listing


def catalog_reply(products: Mapping[str, Product], entries: Sequence[Entry],
                  product: str | None = None) -> Reply:
    """`/errcode list [product]`: codes grouped by product, split across sections."""
    blocks: list[dict] = []
    for name, p in products.items():
        if product and name != product:
            continue
        rows = [f"`{escape(e.code)}` {e.http_status or ''} {escape(e.title)}"
                for e in entries if e.catalog == name]
        blocks.append(header(f"{p.name} ({len(rows)} entries)"))
        chunk: list[str] = []
        for row in rows:
            if sum(len(r) + 1 for r in chunk) + len(row) > MAX_SECTION - 50:
                blocks.append(section("\n".join(chunk)))
                chunk = []
            chunk.append(row)
        if chunk:
            blocks.append(section("\n".join(chunk)))
    if not blocks:
        blocks.append(section(f"No catalog named `{escape(product or '')}`."))
    return Reply(text="errcode catalog", blocks=fit_blocks(blocks))

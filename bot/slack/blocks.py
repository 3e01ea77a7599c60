"""Triage -> Block Kit, within Slack's limits, with pasted text made harmless.

Everything shown is escaped (`&`, `<`, `>`), so a paste holding `<!channel>` or
`<@U123>` reads as text and pings nobody; catalog text is escaped too, since
`<token>` in a resolution would otherwise become a link. Long content is cut
with a note rather than rejected by Slack.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.catalog.model import Entry, Product
from bot.triage.engine import Finding, Triage

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_CONTEXT = 2000
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK = 3000
TRUNCATED = "… (truncated)"

# Action ids: the Slack layer registers a listener for each, and manifest tests check them.
ACTION_SHARE = "share_in_channel"
ACTION_OTHERS = "show_other_matches"
ACTION_HELPFUL = "feedback_helpful"
ACTION_NOT_HELPFUL = "feedback_not_helpful"
ACTION_HEALTH = "run_health_check"
ACTION_ESCALATE = "escalate"

_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Reply:
    """A message ready for chat.postMessage / response_url: blocks plus a text fallback."""

    text: str
    blocks: list[dict] = field(default_factory=list)


def escape(text: str) -> str:
    """Make text inert in mrkdwn: no links, mentions or broadcasts can come out of it."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub(lambda m: "@\u200b" + m.group(1), text)


def cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - len(TRUNCATED)] + TRUNCATED


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


# --------------------------------------------------------------------------- triage


@dataclass(frozen=True)
class Buttons:
    """Which buttons an answer offers; the value carries the saved query id."""

    query_id: str | None = None
    share: bool = False
    health_products: frozenset[str] = frozenset()
    escalate: bool = True


def triage_reply(t: Triage, products: Mapping[str, Product], buttons: Buttons | None = None,
                 *, shared_by: str | None = None, show_others: bool = False) -> Reply:
    """The Slack answer to one paste: one section per error, then ids, candidates, buttons."""
    buttons = buttons or Buttons()
    blocks: list[dict] = []
    confident = t.confident
    if shared_by:
        blocks.append(context(f"Shared by <@{shared_by}>"))
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
    if show_others and others:
        blocks.append({"type": "divider"})
        blocks.append(section("*Other candidates*"))
        for f in others:
            blocks += _finding_blocks(f, products)
    elif others:
        blocks.append(context("Other candidates: " + ", ".join(
            f"`{escape(f.entry.code)}` ({escape(_pname(f.entry, products))})" for f in others)))
    actions = _actions(t, buttons, show_others)
    blocks = fit_blocks(blocks + ([actions] if actions else []), keep_tail=1 if actions else 0)
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
    title = f"{e.code} · {_pname(e, products)}{status}"
    blocks = [header(title)]
    lines = [f"*{escape(e.title)}*", f"*Meaning:* {escape(e.meaning)}"]
    if f.mention and f.mention.message:
        lines.append(f"*Message:* {escape(f.mention.message)}")
    if f.mention and f.mention.request_id:
        lines.append(f"*Request id:* `{escape(f.mention.request_id)}`")
    if f.mention and f.mention.fields:
        lines.append("*Fields (verbatim):*\n```" + escape("\n".join(f.mention.fields)) + "```")
    if e.symptoms:
        lines.append("*Symptoms:* " + escape(" ".join(e.symptoms)))
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
    blocks = [section(":mag: *No documented error recognised in this paste.*")]
    nearest: Sequence[Entry] = [f.entry for f in t.findings] or list(t.nearest)
    if nearest:
        blocks.append(section("*Nearest entries:*\n" + "\n".join(
            f"• `{escape(e.code)}` ({escape(_pname(e, products))}): {escape(e.title)}"
            for e in nearest[:5])))
    blocks.append(context("Paste the exact error code or the JSON error body, or try "
                          "`/errcode list` to see every documented code."))
    return blocks


def _actions(t: Triage, b: Buttons, show_others: bool) -> dict | None:
    if b.query_id is None:
        return None
    elements = []
    if b.share:
        elements.append(button("Share in channel", ACTION_SHARE, b.query_id, "primary"))
    if t.others and t.confident and not show_others:
        elements.append(button("Show other matches", ACTION_OTHERS, b.query_id))
    product = t.product or (t.confident[0].entry.catalog if t.confident else None)
    if product and product in b.health_products:
        elements.append(button("Run health check", ACTION_HEALTH, f"{b.query_id}|{product}"))
    if b.escalate and t.confident:
        # When the advice itself says "then escalate", the button leads the row.
        if any(f.retry.escalate for f in t.confident):
            elements.insert(0, button("Escalate", ACTION_ESCALATE, b.query_id, "primary"))
        else:
            elements.append(button("Escalate", ACTION_ESCALATE, b.query_id))
    top = t.confident[0].entry.key if t.confident else "none"
    elements.append(button(":thumbsup: Helpful", ACTION_HELPFUL, f"{b.query_id}|{top}"))
    elements.append(button(":thumbsdown: Not helpful", ACTION_NOT_HELPFUL, f"{b.query_id}|{top}"))
    return {"type": "actions", "block_id": "errcode_actions", "elements": elements}


def _pname(e: Entry, products: Mapping[str, Product]) -> str:
    p = products.get(e.catalog)
    return p.name if p else e.catalog


# --------------------------------------------------------------------------- other replies


def text_reply(text: str, *, title: str | None = None) -> Reply:
    """A plain message (help, errors, confirmations): escaped unless it is our own markup."""
    blocks = [header(title)] if title else []
    blocks.append(section(text))
    return Reply(text=cut(re.sub(r"[*_`]", "", text), MAX_FALLBACK), blocks=blocks)


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

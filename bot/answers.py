"""What the bot answers, whichever door the question came through.

Slack (slash command, mention, DM, shortcut, button) and the console both come here
with plain values (text, channel, user) and get an `Answer` back: a Triage, a
HealthReport, a catalog listing or a short note, plus the actions it offers (the
buttons). Each surface renders it: Block Kit in `bot.slack`, text in `bot.console`.
Notes use light markup both can show: `*bold*` and `` `code` ``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Literal

from bot.core import Core
from bot.escalation.draft import Draft, plural
from bot.health.checks import HealthReport
from bot.health.targets import UnknownTargetError
from bot.store import Store
from bot.text import TRUNCATED, shorten
from bot.triage.engine import Triage

log = logging.getLogger("errcode.answers")

HELP = """*errcode* finds the documented errors in whatever you paste and says what they mean, \
whether and when to retry, and how to fix them.
• `/errcode <code or pasted error>`: answer only you can see, with a button to share it
• `@errcode <paste>`: answer in the thread · or use the message shortcut *Triage this error*
• `/errcode health [target]`: run the configured health checks
• `/errcode list [product]`: every documented code
• `/errcode help`: this message
Paste anything: an error code, a JSON error body, `curl -v` output, log lines, a traceback, \
or a symptom like "login fails with 403"."""

ESCALATE_WORDS = {"escalate", "escalate this", "escalate thread", "escalate this thread"}
NO_TARGETS = ("No health targets are configured. Add them under `health.targets` in "
              "errcode.yml (see the README).")


class Action(Enum):
    """What a person can do with an answer; each surface shows these as its buttons."""

    SHARE = "share"
    OTHERS = "others"
    HEALTH = "health"
    ESCALATE = "escalate"
    HELPFUL = "helpful"
    NOT_HELPFUL = "not_helpful"


@dataclass(frozen=True)
class Offer:
    """One action offered with an answer; `value` carries the saved query it acts on."""

    action: Action
    label: str
    value: str
    primary: bool = False


@dataclass(frozen=True)
class Asked:
    """Who asked what, where: the plain values every surface provides."""

    text: str
    channel: str | None = None
    user: str | None = None
    surface: str = "slash"  # slash | mention | dm | shortcut | button | console
    ephemeral: bool = False  # the answer is only visible to the asker (offer "Share")


@dataclass(frozen=True)
class Answer:
    """One reply, before any surface renders it."""

    kind: Literal["help", "note", "list", "health", "triage"]
    note: str = ""  # help and notes: the text, in light markup
    product: str | None = None  # list: only this catalog
    health: HealthReport | None = None
    triage: Triage | None = None
    query_id: str | None = None  # triage: the saved (redacted) query its actions replay
    offers: tuple[Offer, ...] = ()
    shared_by: str | None = None
    show_others: bool = False
    # Distinct secrets hidden from the asker's paste, per kind (never a value): told only
    # to the person who pasted (`hidden_note`). Empty for replays of a saved query.
    hidden: tuple[tuple[str, int], ...] = ()
    ephemeral: bool = False  # only the asker sees this answer


def note(text: str) -> Answer:
    return Answer(kind="note", note=text)


def answer(core: Core, asked: Asked) -> Answer:
    """Route a request: help, list, health, or triage of the pasted text."""
    text = (asked.text or "").strip()
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "-h", "--help", "?") and len(words) <= 1:
        return Answer(kind="help", note=HELP)
    if verb == "list" and len(words) <= 2:
        return list_answer(core, words[1] if len(words) == 2 else None)
    if core.is_health_request(words):
        return health_answer(core, words[1:], user=asked.user, channel=asked.channel)
    return triage_answer(core, asked)


def is_escalate(text: str) -> bool:
    """`@errcode escalate` (or "escalate this thread."): a request to escalate, not a paste."""
    return text.strip().lower().rstrip(".!") in ESCALATE_WORDS


def is_slow(core: Core, text: str) -> bool:
    """Health checks wait on the network: surfaces run them apart from quick answers."""
    return core.is_health_request(text.split())


def health_answer(core: Core, names: list[str], *, user: str | None, channel: str | None,
                  product: str | None = None) -> Answer:
    """Run health checks; admin checks only for allowed users and channels."""
    if not core.health.targets:
        return note(NO_TARGETS)
    try:
        report = core.check_health(names, product=product, user=user, channel=channel)
    except UnknownTargetError as err:
        return note(str(err).replace("'", "`"))
    log.info("event=health user=%s channel=%s targets=%s ok=%s", user, channel,
             ",".join(t.name for t in report.targets), report.ok)
    return Answer(kind="health", health=report)


def list_answer(core: Core, product: str | None) -> Answer:
    """Every documented code, or one product's; an unknown product names the known ones."""
    if not product:
        return Answer(kind="list")
    found = core.catalog.find_product(product)
    if found is None:
        return note(f"No product named `{plain_word(product)}`. Known: "
                    + ", ".join(f"`{p}`" for p in core.catalog.products))
    return Answer(kind="list", product=found.catalog)


def triage_answer(core: Core, asked: Asked, *, show_others: bool = False,
                  shared_by: str | None = None, query_id: str | None = None) -> Answer:
    """Triage, remember the (redacted) query for the actions, record misses for owners."""
    # The one way out for what the answer quotes and stores: one redactor, the paste
    # redacted once, so stored query and shown answer read the same placeholders.
    prepared = core.prepare(asked.text, core.hints(asked.channel))
    result, hidden = prepared.triage, prepared.hidden
    if query_id is None:
        query_id = remember(core, asked, result, prepared.safe)
    log_triage(asked, result, query_id)
    # Escalation works on a thread, so only answers posted in one offer it.
    offers = offers_for(result, query_id, share=asked.ephemeral, escalate=not asked.ephemeral,
                        health_products=core.health_products, show_others=show_others)
    return Answer(kind="triage", triage=result, query_id=query_id, offers=offers,
                  shared_by=shared_by, show_others=show_others, hidden=hidden,
                  ephemeral=asked.ephemeral)


def offers_for(t: Triage, query_id: str, *, share: bool, escalate: bool,
               health_products: frozenset[str], show_others: bool) -> tuple[Offer, ...]:
    """The actions an answer offers, in the order they are shown."""
    offers: list[Offer] = []
    if share and t.confident:  # an answer that found nothing is not worth sharing
        offers.append(Offer(Action.SHARE, "Share in channel", query_id, primary=True))
    if t.others and t.confident and not show_others:
        offers.append(Offer(Action.OTHERS, "Show other matches", query_id))
    product = t.product or (t.confident[0].entry.catalog if t.confident else None)
    if product and product in health_products:
        offers.append(Offer(Action.HEALTH, "Run health check", f"{query_id}|{product}"))
    if escalate and t.confident:
        # When the advice itself says "then escalate", the action leads the row.
        if any(f.retry.escalate for f in t.confident):
            offers.insert(0, Offer(Action.ESCALATE, "Escalate", query_id, primary=True))
        else:
            offers.append(Offer(Action.ESCALATE, "Escalate", query_id))
    top = t.confident[0].entry.key if t.confident else "none"
    offers.append(Offer(Action.HELPFUL, "Helpful", f"{query_id}|{top}"))
    offers.append(Offer(Action.NOT_HELPFUL, "Not helpful", f"{query_id}|{top}"))
    return tuple(offers)


def remember(core: Core, asked: Asked, result: Triage, safe: str) -> str:
    """Store the query as `safe`, already redacted (never the raw paste); count it if
    nothing matched."""
    store = _store(core)
    query_id = store.save_query(safe, product=result.product, channel=asked.channel,
                                user=asked.user)
    if not result.confident:
        nearest = result.findings[0].entry.key if result.findings else (
            result.nearest[0].key if result.nearest else None)
        store.record_unmatched(safe, product=result.product, nearest=nearest)
    return query_id


def replay(core: Core, query_id: str, *, user: str | None, channel: str | None,
           show_others: bool = False, shared: bool = False,
           offer_share: bool = False) -> Answer | None:
    """Rebuild an earlier answer from its saved query (for actions); None if it expired."""
    saved = _store(core).get_query(query_id)
    if saved is None:
        return None
    asked = Asked(text=saved.text, channel=channel or saved.channel, user=user,
                  surface="button", ephemeral=offer_share)
    return triage_answer(core, asked, show_others=show_others,
                         shared_by=user if shared else None, query_id=query_id)


def record_feedback(core: Core, value: str, *, helpful: bool, user: str | None) -> Answer:
    """One vote per person and query; catalog owners read them in `errcode report feedback`."""
    query_id, _, key = value.partition("|")
    catalog, _, code = key.partition(":")
    _store(core).record_feedback(query_id, helpful=helpful, user=user,
                               catalog=catalog or None, code=code or None)
    log.info("event=feedback query=%s helpful=%s entry=%s user=%s", query_id, helpful, key, user)
    return note("Thanks, glad it helped." if helpful else
                "Thanks, noted: catalog owners review unhelpful answers "
                "(`errcode report feedback`).")


def found_in_thread(draft: Draft) -> str:
    """What an escalation already knows, said before asking for the rest."""
    found = [plural(len(draft.errors), "error"), plural(len(draft.request_ids), "request id")]
    found += [f"{key.replace('_', ' ')}: {shorten(value, 60, TRUNCATED)}"
              for key, value in draft.facts.items() if key in ("version", "deployment")]
    return "Found in the thread: " + ", ".join(found) + "."


# How each kind of secret is named to the person who pasted it (singular, plural).
_KIND_NAMES = {
    "password": ("password", "passwords"),
    "token": ("token or API key", "tokens or API keys"),
    "jwt": ("JWT", "JWTs"),
    "secret": ("secret value", "secret values"),
    "private_key": ("private key", "private keys"),
    "cookie": ("cookie", "cookies"),
    "authorization": ("Authorization credential", "Authorization credentials"),
    "custom": ("match of your redact patterns", "matches of your redact patterns"),
}


def hidden_kinds(kinds: Mapping[str, int] | Iterable[tuple[str, int]]) -> str:
    """`1 password, 2 tokens or API keys`: counts by kind, most first (never a value)."""
    pairs = kinds.items() if isinstance(kinds, Mapping) else kinds
    named = [(n, _KIND_NAMES.get(kind, (kind.replace("_", " "),) * 2)) for kind, n in pairs
             if n > 0]
    named.sort(key=lambda item: (-item[0], item[1][0]))
    return ", ".join(f"{n} {names[0] if n == 1 else names[1]}" for n, names in named)


def hidden_note(kinds: Mapping[str, int] | Iterable[tuple[str, int]], *,
                where: str = "in my answer", source: str = "your paste",
                posted: str | None = "your message") -> str:
    """The private note to the person whose paste held secrets: how many were hidden,
    of which kinds, and what to do; "" when nothing was hidden. `posted`: what of theirs
    others can read (a message), worth deleting; None for a slash command (not posted)."""
    pairs = list(kinds.items() if isinstance(kinds, Mapping) else kinds)
    count = sum(n for _, n in pairs)
    if not count:
        return ""
    them = "it" if count == 1 else "them"
    text = f"I hid {plural(count, 'secret')} from {source} ({hidden_kinds(pairs)}) {where}; "
    if posted:
        return text + f"consider deleting {posted} and rotating {them}."
    return text + (f"your command was not posted, but rotate {them} if you pasted {them} "
                   "anywhere else.")


def log_triage(asked: Asked, result: Triage, query_id: str) -> None:
    top = result.confident[0].entry.key if result.confident else "-"
    log.info("event=triage surface=%s channel=%s user=%s query=%s confident=%d top=%s "
             "codes=%d chars=%d", asked.surface, asked.channel, asked.user, query_id,
             len(result.confident), top, len(result.evidence.mentions), len(asked.text))


def plain_word(text: str) -> str:
    """A user-typed word made safe to echo back inside markup."""
    return re.sub(r"[^\w.\-]", "", text)[:60]


def _store(core: Core) -> Store:
    if core.store is None:
        raise ValueError("answers need a Store (saved queries, feedback)")
    return core.store

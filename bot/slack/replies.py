"""What the bot answers, independent of how the request arrived.

Slash command, mention, DM, shortcut, button and the local console all come
here with plain values (text, channel, user) and get a `Reply` back. No Slack
library is imported: the listeners in `app.py` only translate payloads.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.core import Core
from bot.health.render import health_summary
from bot.health.targets import UnknownTargetError
from bot.redact import redact
from bot.slack.blocks import Buttons, Reply, catalog_reply, text_reply, triage_reply
from bot.slack.health_blocks import health_blocks
from bot.triage.engine import Triage

log = logging.getLogger("errcode.slack")

HELP = """*errcode* finds the documented errors in whatever you paste and says what they mean, \
whether and when to retry, and how to fix them.
• `/errcode <code or pasted error>`: answer only you can see, with a button to share it
• `@errcode <paste>`: answer in the thread · or use the message shortcut *Triage this error*
• `/errcode health [target]`: run the configured health checks
• `/errcode list [product]`: every documented code
• `/errcode help`: this message
Paste anything: an error code, a JSON error body, `curl -v` output, log lines, a traceback, \
or a symptom like "login fails with 403"."""


@dataclass(frozen=True)
class Asked:
    """Who asked what, where: the plain values every surface provides."""

    text: str
    channel: str | None = None
    user: str | None = None
    surface: str = "slash"  # slash | mention | dm | shortcut | button | console
    ephemeral: bool = False  # the answer is only visible to the asker (offer "Share")


_BOT_MENTION = re.compile(r"^\s*<@[UW][A-Z0-9]+(?:\|[^>]*)?>[\s:,]*")


def strip_bot_mention(text: str) -> str:
    """`<@U0BOT> RATE_LIMITED` -> `RATE_LIMITED` (only the leading mention)."""
    return _BOT_MENTION.sub("", text or "", count=1)


def answer(services: Core, asked: Asked) -> Reply:
    """Route a request: help, list, or triage of the pasted text."""
    text = (asked.text or "").strip()
    words = text.split()
    verb = words[0].lower() if words else "help"
    if verb in ("help", "-h", "--help", "?") and len(words) <= 1:
        return text_reply(HELP, title="errcode help")
    if verb == "list" and len(words) <= 2:
        return list_reply(services, words[1] if len(words) == 2 else None)
    if services.is_health_request(words):
        return health_reply(services, words[1:], user=asked.user, channel=asked.channel)
    return triage_answer(services, asked)


def health_reply(services: Core, names: list[str], *, user: str | None,
                 channel: str | None, product: str | None = None) -> Reply:
    """Run health checks and render them; admin checks only for allowed users/channels."""
    if not services.health.targets:
        return text_reply("No health targets are configured. Add them under `health.targets` "
                          "in errcode.yml (see the README).")
    try:
        report = services.check_health(names, product=product, user=user, channel=channel)
    except UnknownTargetError as err:
        return text_reply(str(err).replace("'", "`"))
    log.info("event=health user=%s channel=%s targets=%s ok=%s", user, channel,
             ",".join(t.name for t in report.targets), report.ok)
    return Reply(text=health_summary(report), blocks=health_blocks(report))


def list_reply(services: Core, product: str | None) -> Reply:
    catalog = services.catalog
    name = None
    if product:
        found = catalog.find_product(product)
        if found is None:
            return text_reply(f"No product named `{_plain(product)}`. Known: "
                              + ", ".join(f"`{p}`" for p in catalog.products))
        name = found.catalog
    return catalog_reply(catalog.products, catalog.entries, name)


def triage_answer(services: Core, asked: Asked, *, show_others: bool = False,
                  shared_by: str | None = None, query_id: str | None = None) -> Reply:
    """Triage, remember the (redacted) query for buttons, record misses for catalog owners."""
    result = services.engine.triage(asked.text, services.hints(asked.channel))
    if query_id is None:
        query_id = remember(services, asked, result)
    log_triage(asked, result, query_id)
    # Escalation works on a thread, so only answers posted in one offer it.
    buttons = Buttons(query_id=query_id, share=asked.ephemeral, escalate=not asked.ephemeral,
                      health_products=services.health_products)
    return triage_reply(result, services.catalog.products, buttons,
                        shared_by=shared_by, show_others=show_others)


def remember(services: Core, asked: Asked, result: Triage) -> str:
    """Store the query redacted (never the raw paste); count it if nothing matched."""
    safe = redact(asked.text, services.settings.redact_patterns).text
    query_id = services.store.save_query(safe, product=result.product, channel=asked.channel,
                                         user=asked.user)
    if not result.confident:
        nearest = result.findings[0].entry.key if result.findings else (
            result.nearest[0].key if result.nearest else None)
        services.store.record_unmatched(safe, product=result.product, nearest=nearest)
    return query_id


def replay(services: Core, query_id: str, *, user: str | None, channel: str | None,
           show_others: bool = False, shared: bool = False,
           offer_share: bool = False) -> Reply | None:
    """Rebuild an earlier answer from its saved query (for buttons); None if it expired."""
    saved = services.store.get_query(query_id)
    if saved is None:
        return None
    asked = Asked(text=saved.text, channel=channel or saved.channel, user=user,
                  surface="button", ephemeral=offer_share)
    return triage_answer(services, asked, show_others=show_others,
                         shared_by=user if shared else None, query_id=query_id)


def record_feedback(services: Core, value: str, *, helpful: bool,
                    user: str | None) -> Reply:
    query_id, _, key = value.partition("|")
    catalog, _, code = key.partition(":")
    services.store.record_feedback(query_id, helpful=helpful, user=user,
                                   catalog=catalog or None, code=code or None)
    log.info("event=feedback query=%s helpful=%s entry=%s user=%s", query_id, helpful, key, user)
    note = "Thanks, glad it helped." if helpful else (
        "Thanks, noted: catalog owners review unhelpful answers (`errcode report feedback`).")
    return text_reply(note)


def log_triage(asked: Asked, result: Triage, query_id: str) -> None:
    top = result.confident[0].entry.key if result.confident else "-"
    log.info("event=triage surface=%s channel=%s user=%s query=%s confident=%d top=%s "
             "codes=%d chars=%d", asked.surface, asked.channel, asked.user, query_id,
             len(result.confident), top, len(result.evidence.mentions), len(asked.text))


def api_error_hint(error: str) -> str:
    """A sentence a user can act on, for a Slack Web API error code."""
    hints = {
        "not_in_channel": "I'm not in this channel. Invite me with `/invite @errcode` and try "
                          "again.",
        "channel_not_found": "I can't see this channel (private, or I was removed). Invite me "
                             "with `/invite @errcode`, or use `/errcode` which answers only you.",
        "is_archived": "This channel is archived, so I can't post here.",
        "msg_too_long": "The answer was too long for Slack; try `errcode lookup` for the full "
                        "text.",
        "ratelimited": "Slack is rate-limiting me right now; please try again in a minute.",
    }
    return hints.get(error, f"Slack refused the message (`{_plain(error)}`); the error was "
                            "logged.")


def _plain(text: str) -> str:
    return re.sub(r"[^\w.\-]", "", text)[:60]

"""Draft + health + answers -> the redacted `Packet` support receives."""



from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

from bot.catalog.model import Catalog, ChecklistItem, Product
from bot.escalation.draft import (
    MAX_EXCERPT_CHARS,
    MAX_EXCERPTS_CHARS,
    MAX_LOG_CHARS,
    MAX_LOG_LINES,
    Draft,
    ErrorSeen,
    ThreadMessage,
    iso_time,
    plural,
)
from bot.health.checks import HealthReport, worst_status
from bot.health.render import health_json, health_summary, health_text
from bot.redact import Redactor
from bot.text import one_line
from bot.triage.extract import unescape_slack


@dataclass(frozen=True)
class ChecklistLine:
    key: str
    label: str
    done: bool
    value: str  # what satisfies it (redacted), or why it is open


@dataclass(frozen=True)
class Packet:
    """Everything support needs, already redacted."""

    product: str | None
    product_name: str
    title: str
    summary: str
    errors: tuple[ErrorSeen, ...]
    request_ids: tuple[str, ...]
    health: dict | None  # the `errcode health --json` document for the product's targets
    health_text: str | None
    health_status: str | None
    environment: Mapping[str, str]
    steps_to_reproduce: str | None
    logs_excerpt: str | None
    checklist: tuple[ChecklistLine, ...]
    answers: Mapping[str, str]
    thread: str | None
    author: str | None
    created_at: str
    messages: int
    redacted: int
    redacted_kinds: Mapping[str, int] = field(default_factory=dict)
    support_email: str | None = None
    excerpts: tuple[tuple[str, str], ...] = ()  # (where, text): the messages with errors


ENVIRONMENT_KEYS = ("deployment", "version", "license_key", "contact_email")
_BLANK_LINES = re.compile(r"\n{3,}")


def assemble(draft: Draft, catalog: Catalog, *, health: HealthReport | None,
             answers: Mapping[str, str], thread: str | None, author: str | None,
             redactor: Redactor, messages: Sequence[ThreadMessage] = (),
             now: datetime | None = None) -> Packet:
    """The packet: the draft plus health and answers, every text redacted by `redactor`."""
    r = _once_each(redactor.redact)
    product = catalog.products.get(draft.product) if draft.product else None
    name = product.name if product else (draft.product or "Unknown product")
    answers = {k: v.strip() for k, v in answers.items() if isinstance(v, str) and v.strip()}
    facts = dict(draft.facts)
    if health is not None:
        for key, value in _health_info(health).items():
            facts.setdefault(key, value)  # what the thread did not say, the service tells
    values = {**facts, **answers}

    errors = tuple(replace(e, message=r(e.message) if e.message else None,
                           fields=tuple(r(x) for x in e.fields),
                           details=r(e.details) if e.details else None) for e in draft.errors)
    environment = {k: r(values[k]) for k in ENVIRONMENT_KEYS if values.get(k)}
    steps = values.get("steps_to_reproduce")
    logs = _logs_excerpt(draft, answers.get("logs"), r)
    doc = _redact_tree(health_json(health), r) if health and health.targets else None
    health_doc = doc if isinstance(doc, dict) else None
    h_text = r(health_text(health)) if health and health.targets else None
    h_status = worst_status(c for t in health.targets for c in t.checks) if (
        health and health.targets) else None
    if h_text is None and facts.get("health_output"):
        h_text = r(facts["health_output"])
        h_status = "pasted in the thread"
    checklist = tuple(_line(item, draft, values, health, r, answered=set(answers),
                            product=product) for item in draft.checklist)
    created = (now or datetime.now(UTC)).replace(microsecond=0)
    redacted_answers = {k: r(v) for k, v in answers.items()}
    excerpts = _excerpts(messages, draft.evidence_messages, r)
    first = next((e for e in errors if e.catalog), errors[0] if errors else None)
    title = f"{name}: {first.code if first else 'escalation'}"
    if len(errors) > 1:
        title += f" and {len(errors) - 1} more"
    summary = _summary(errors, draft, h_status, health, checklist)
    return Packet(
        product=draft.product, product_name=name, title=title[:150], summary=r(summary),
        errors=errors, request_ids=draft.request_ids, health=health_doc, health_text=h_text,
        health_status=h_status, environment=environment,
        steps_to_reproduce=r(steps) if steps else None, logs_excerpt=logs,
        checklist=checklist, answers=redacted_answers, thread=thread, author=author,
        created_at=created.isoformat().replace("+00:00", "Z"), messages=len(messages) or
        draft.messages, redacted=redactor.count, redacted_kinds=redactor.kinds,
        support_email=product.support_email if product else None, excerpts=excerpts)


def _once_each(redact: Callable[[str], str]) -> Callable[[str], str]:
    """`redact`, reading once each text it leaves as it is: a long thread repeats the same
    error message hundreds of times. A text with a secret is redacted every time, so the
    redactor still counts every occurrence; one without finds nothing and changes nothing,
    as the redactor finds secrets by their shape in each text, not by values it saw in
    another (tests/escalation pins both)."""
    clean: set[str] = set()

    def once(text: str) -> str:
        if text in clean:
            return text
        out = redact(text)
        if out == text and "[REDACTED:" not in text:  # no placeholder to number after
            clean.add(text)
        return out

    return once


def _excerpts(messages: Sequence[ThreadMessage], indexes: Sequence[int],
              redact: Callable[[str], str]) -> tuple[tuple[str, str], ...]:
    """The messages errors were found in, as pasted (redacted), within a size budget."""
    out: list[tuple[str, str]] = []
    budget = MAX_EXCERPTS_CHARS
    for i in indexes:
        if not 0 < i <= len(messages) or budget <= 0:
            break
        msg = messages[i - 1]
        plain = unescape_slack(msg.text)
        if "\n\n\n" in plain:  # a pasted megabyte seldom has any: no regex pass then
            plain = _BLANK_LINES.sub("\n\n", plain)
        # Redacted whole, then cut: a cut must never leave half a secret unrecognised.
        text = redact(plain.strip())
        if len(text) > MAX_EXCERPT_CHARS:
            text = text[:MAX_EXCERPT_CHARS] + "\n… (cut)"
        budget -= len(text)
        who = f" by {msg.user}" if msg.user else ""
        out.append((f"message {i}{who}" + (f" at {iso_time(msg.time)}" if msg.time else ""), text))
    return tuple(out)


def _health_info(health: HealthReport) -> dict[str, str]:
    out: dict[str, str] = {}
    for target in health.targets:
        for check in target.checks:
            for key, value in check.info.items():
                if key in ("version", "deployment", "deployment_type") and value:
                    out.setdefault("deployment" if key.startswith("deploy") else key, value)
    return out


def _logs_excerpt(draft: Draft, answered: str | None,
                  redact: Callable[[str], str]) -> str | None:
    """The first log lines (redacted before they are cut), answered ones first."""
    lines = [*(answered.splitlines() if answered else ()), *draft.log_lines]
    if not lines:
        return None
    head = redact("\n".join(lines[:MAX_LOG_LINES])).split("\n")
    kept: list[str] = []
    size = 0
    for line in head:
        size += len(line) + 1
        if size > MAX_LOG_CHARS:
            break
        kept.append(line[:2000])
    more = len(head) - len(kept) + max(0, len(lines) - MAX_LOG_LINES)
    if more:
        kept.append(f"… {plural(more, 'more line')} in the thread")
    return "\n".join(kept)


def _line(item: ChecklistItem, draft: Draft, values: Mapping[str, str],
          health: HealthReport | None, redact: Callable[[str], str], *,
          answered: set[str], product: Product | None = None) -> ChecklistLine:
    """Whether the item is covered, and by what: the value and where it came from."""
    key = item.key
    if key == "health_output":
        if health is not None and health.targets:
            return ChecklistLine(key, item.label, True, health_summary(health))
        if values.get("health_output"):
            return ChecklistLine(key, item.label, True, "pasted in the thread")
        return ChecklistLine(key, item.label, False,
                             "no health target configured for this product; paste the "
                             f"output of {_health_paths(product)}")
    if key == "details":
        with_details = [e for e in draft.errors if e.fields or e.details]
        if with_details:
            return ChecklistLine(key, item.label, True,
                                 f"copied from {plural(len(with_details), 'error envelope')}")
        return ChecklistLine(key, item.label, bool(draft.errors),
                             "the envelopes carried no details" if draft.errors
                             else "no error envelopes in the thread")
    value = values.get(key)
    if value:
        where = ("answered when escalating" if key in answered
                 else draft.sources.get(key, "health output"))
        return ChecklistLine(key, item.label, True, f"{one_line(redact(value), 120)} ({where})")
    return ChecklistLine(key, item.label, False, "not found in the thread")


def _health_paths(product: Product | None) -> str:
    """The product's fullest documented health output: its admin-only endpoints (they
    report every component) when it has some, else every documented one."""
    checks = product.health_checks if product else ()
    paths = [c.path for c in checks if c.auth == "admin"] or [c.path for c in checks]
    return " and ".join(paths) if paths else "its health endpoint"


def _summary(errors: Sequence[ErrorSeen], draft: Draft, h_status: str | None,
             health: HealthReport | None, checklist: Sequence[ChecklistLine]) -> str:
    counts = Counter(e.code for e in errors)
    named = ", ".join(f"{code} ×{n}" if n > 1 else code for code, n in counts.most_common(6))
    parts = [f"{plural(len(errors), 'distinct error')} ({named})" if errors
             else "No documented errors found", plural(len(draft.request_ids), "request id"),
             f"{plural(draft.messages, 'message')} read"]
    if h_status:
        parts.append(f"health: {h_status}")
    open_items = [c.label for c in checklist if not c.done]
    parts.append(f"checklist {len(checklist) - len(open_items)}/{len(checklist)} complete")
    return "; ".join(parts) + "."


def _redact_tree(obj: object, redact: Callable[[str], str]) -> object:
    if isinstance(obj, str):
        return redact(obj)
    if isinstance(obj, Mapping):
        return {k: _redact_tree(v, redact) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_redact_tree(v, redact) for v in obj]
    return obj


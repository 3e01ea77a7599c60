"""Triage -> plain text for the terminal (CLI `lookup`)."""

from __future__ import annotations

from collections.abc import Mapping

from bot.catalog.model import Entry, Product
from bot.triage.engine import Finding, Triage
from bot.triage.textindex import terms

STATUS_ALONE = "The status alone does not say which documented error this is."


def triage_text(t: Triage, products: Mapping[str, Product] | None = None) -> str:
    """A readable answer: one block per documented error, then request ids and candidates."""
    products = products or {}
    out: list[str] = []
    if t.evidence.truncated:
        out.append("(paste was very large: only its first part was read)")
    confident = t.confident
    if not confident:
        if t.same_status:  # recognised, just not told apart
            out.append(STATUS_ALONE)
            out += _same_status(t, products)
            return "\n".join(out) + "\n"
        out.append("No documented error recognised in this paste.")
        candidates = [f.entry for f in t.findings] or list(t.nearest)
        if candidates:
            out.append("Nearest entries:")
            out += [f"  - {_label(e, products)}: {e.title}" for e in candidates[:5]]
        out.append("Try a code (e.g. RATE_LIMITED), the JSON error body, or "
                   "`errcode catalog list`.")
        return "\n".join(out) + "\n"
    if t.ambiguous:
        names = sorted({_product(f.entry, products) for f in confident[:2]})
        out.append(f"This code exists in {' and '.join(names)}; both are shown. "
                   "Name the product to narrow it down.")
    for finding in confident:
        out += _finding(finding, products)
        out.append("")
    if t.evidence.request_ids:
        out.append("Request ids: " + ", ".join(t.evidence.request_ids[:20]))
    others = t.others
    if others:
        out.append("Other candidates: " + ", ".join(
            f"{_label(f.entry, products)} ({f.score:.0f})" for f in others))
    return "\n".join(out).rstrip() + "\n"


def same_status_line(t: Triage, products: Mapping[str, Product]) -> str:
    """"HTTP 409 is documented for 3 ScaiVault errors:" (or "for one ... error:"); when the
    paste names the object of one of them, "... for 17 ScaiVault errors; what the paste
    names fits this one:"."""
    names = sorted({_product(e, products) for e in t.same_status})
    n = max(t.status_documented, len(t.same_status))
    count = "one" if n == 1 else str(n)
    line = (f"HTTP {t.evidence.error_status} is documented for {count} "
            f"{' and '.join(names)} error{'s' if n != 1 else ''}")
    if len(t.same_status) < n:
        return line + "; what the paste names fits this one:"
    return line + ":"


def _same_status(t: Triage, products: Mapping[str, Product]) -> list[str]:
    out = [same_status_line(t, products)]
    out += [f"  - {_label(e, products)}: {e.title}" for e in t.same_status[:8]]
    if len(t.same_status) > 8:
        out.append(f"  ... and {len(t.same_status) - 8} more")
    out.append("Paste the response body or the error code to tell which; "
               "`errcode lookup CODE` shows one in full.")
    return out


def _finding(f: Finding, products: Mapping[str, Product]) -> list[str]:
    e = f.entry
    status = f" · HTTP {e.http_status}" if e.http_status else ""
    lines = [f"{e.code} · {_product(e, products)}{status} — {e.title}"]
    if says_more_than_title(e):
        lines.append(f"  Meaning: {e.meaning}")
    if f.mention and (f.mention.message or f.mention.request_id):
        parts = []
        if f.mention.message:
            parts.append(f'"{f.mention.message}"')
        if f.mention.request_id:
            parts.append(f"request {f.mention.request_id}")
        lines.append("  Seen:    " + " ".join(parts))
    if f.mention and f.mention.fields:
        lines.append("  Fields (verbatim):")
        lines += [f"    {field}" for field in f.mention.fields]
    lines.append(f"  Retry:   {f.retry.advice}")
    if symptoms := symptoms_shown(e):
        lines.append("  Symptoms: " + " ".join(symptoms))
    if e.causes:
        lines.append("  Possible causes:")
        lines += [f"    - {c.cause}" + (f" — {c.fix}" if c.fix else "") for c in e.causes]
    lines.append("  Resolution:")
    lines += [f"    {i}. {step}" for i, step in enumerate(e.resolution, 1)]
    if f.commands:
        lines.append("  Diagnostics:")
        for c in f.commands:
            lines.append(f"    # {c.label}")
            lines += [f"    {row}" for row in c.run.splitlines()]
    lines.append("  Why: " + "; ".join(f.evidence))
    return lines


def says_more_than_title(e: Entry) -> bool:
    """False when the meaning only repeats the title ("Token expired" / "Token has
    expired"): an answer shows it once."""
    return not set(terms(e.meaning)) <= set(terms(e.title))


def symptoms_shown(e: Entry) -> tuple[str, ...]:
    """The entry's symptoms less those that only repeat its title or meaning (the guide
    often words a problem's meaning and its symptom alike): an answer says each once."""
    said = {_plain(e.title), _plain(e.meaning)}
    return tuple(s for s in e.symptoms if _plain(s) not in said)


def _plain(text: str) -> str:
    return " ".join(text.lower().split()).rstrip(".")


def _product(e: Entry, products: Mapping[str, Product]) -> str:
    p = products.get(e.catalog)
    return p.name if p else e.catalog


def _label(e: Entry, products: Mapping[str, Product]) -> str:
    return f"{e.code} ({_product(e, products)})"

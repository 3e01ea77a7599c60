"""Triage tests; `confident_keys` is what most of them check."""

from __future__ import annotations

from bot.triage.engine import TriageEngine


def confident_keys(engine: TriageEngine, paste: str) -> list[str]:
    """The keys of the paste's confident answers, in the order given."""
    return [f.entry.key for f in engine.triage(paste).confident]

"""Triage: a paste goes in, a `Triage` comes out.

text -> `extract` (codes, envelopes, status, headers, request ids) -> `Evidence`
-> `match` (catalog index, rapidfuzz, confidence) -> [`Match`] -> `advice` (retry timing)
-> `Triage`, which `render` turns into text (the Slack layer renders Block Kit from it).
`engine.TriageEngine` holds the indexed catalog; `engine.triage` is the one-call form.
"""

from bot.triage.engine import Triage, TriageEngine, TriageHints, triage

__all__ = ["Triage", "TriageEngine", "TriageHints", "triage"]

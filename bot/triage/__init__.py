"""Triage: a paste goes in, a `Triage` comes out.

text -> `extract` (codes, envelopes, status, headers, request ids) -> `Evidence`
-> `match` (catalog index, rapidfuzz, confidence) -> [`Match`] -> `advice` (retry timing)
-> `Triage`, which `render` turns into text (the Slack layer renders Block Kit from it).
`engine.TriageEngine` holds the indexed catalog; `engine.triage` is the one-call form.

Inside: `evidence` (the Evidence types), `envelopes` (JSON in a paste), `textindex`
(meaning search), `product` (which product a paste concerns).
"""

from bot.triage.engine import Triage, TriageEngine, TriageHints, triage

__all__ = ["Triage", "TriageEngine", "TriageHints", "triage"]

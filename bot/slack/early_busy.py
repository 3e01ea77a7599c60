"""While the answer queue is full, a signed `/errcode` is told "busy" before bolt reads it.

Under overload most slash commands are shed (docs/benchmarks.md, "Answer path under
load"): the ack says "busy, try again in a moment" and nothing is stored. Through bolt
that ack cost as much of the server's one GIL as a kept question (bolt's request object,
form parsing, middleware, listener matching: ~60 % of the server's time at 50
connections), time the answers already accepted were waiting for. Here the same answer
comes from the raw body: the form read once, Slack's signature checked with slack_sdk's
own `SignatureVerifier` (the one bolt uses), the shed counted and logged as the
listener's would be (`Workers.shed_at_once`).

Only while the queue said "full" a moment ago, and only for what the listener would shed:
our slash command, for the answer queue (health checks go to the slow queue). Anything else,
and any request whose signature does not hold, goes on to bolt unchanged, which answers
or rejects it as before.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from urllib.parse import parse_qsl

from slack_sdk.signature import SignatureVerifier

from bot.answers import is_slow
from bot.core import Core
from bot.slack import ids, jobs
from bot.slack.workers import BUSY, Workers

BUSY_ACK = json.dumps({"text": BUSY, "response_type": "ephemeral"}).encode()


class EarlyBusy:
    """`reply(headers, body)`: the busy ack's body for a signed slash command while the
    answer queue is full, else None (bolt takes the request)."""

    def __init__(self, signing_secret: str, *, full: Callable[[], bool],
                 shed: Callable[[str], bool], slow: Callable[[str], bool]) -> None:
        """`full`: did the answer queue refuse a question a moment ago (no counting);
        `shed(ref)`: shed one slash command now, counted and logged, True when it was;
        `slow(text)`: would the command go to the slow queue instead (health checks)."""
        self._verifier = SignatureVerifier(signing_secret) if signing_secret.strip() else None
        self.active, self._shed, self._slow = full, shed, slow

    def reply(self, headers: Mapping[str, str], body: bytes) -> tuple[bytes, dict] | None:
        """(busy ack, the form) when this request is a signed slash command to shed."""
        if self._verifier is None or b"command=" not in body:
            return None
        try:
            form = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except (UnicodeDecodeError, ValueError):
            return None
        if form.get("command") != ids.COMMAND or "payload" in form or form.get("ssl_check"):
            return None
        if not self._signed(headers, body) or self._slow(form.get("text", "")):
            return None
        if not self._shed(form.get("trigger_id") or "-"):
            return None
        return BUSY_ACK, form

    def _signed(self, headers: Mapping[str, str], body: bytes) -> bool:
        assert self._verifier is not None
        timestamp = headers.get("x-slack-request-timestamp")
        try:
            return self._verifier.is_valid(body, timestamp, headers.get("x-slack-signature"))
        except ValueError:  # a timestamp that is not a number: bolt rejects it
            return False


def early_busy(core: Core, workers: Workers) -> EarlyBusy:
    """The early busy ack of this app's answer queue (`make_server(..., early=...)`)."""
    return EarlyBusy(core.settings.slack.signing_secret or "",
                     full=lambda: workers.full_for(jobs.SLASH),
                     shed=lambda ref: workers.shed_at_once(jobs.SLASH, ref),
                     slow=lambda text: is_slow(core, text))

"""What runs around every listener: the runtime in bolt's context, once-only events, errors.

Listeners are top-level functions (as in bolt's examples), so what they need beyond the
payload (the core and the work pools) reaches them through `context`, put there by
`with_runtime`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltContext, BoltRequest, BoltResponse

from bot.core import Core
from bot.slack.workers import Workers

log = logging.getLogger("errcode.slack")

_KEY = "errcode"
EVENT_TTL_S = 3600


@dataclass(frozen=True)
class Runtime:
    """What every listener needs besides the payload."""

    core: Core
    workers: Workers

    def later(self, job: Callable[[], object], *, slow: bool = False) -> None:
        """Queue work after the ack (Slack allows 3 s for the HTTP answer)."""
        self.workers.later(job, slow=slow)


def runtime(context: BoltContext) -> Runtime:
    return context[_KEY]


def with_runtime(rt: Runtime) -> Callable:
    """Middleware putting `rt` into every request's context."""

    def attach(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context[_KEY] = rt
        return next()

    return attach


def once_per_event(context: BoltContext, body: dict, request: BoltRequest,
                   next: Callable[[], BoltResponse]) -> BoltResponse | None:
    """Slack retries events it thinks failed: the same event_id is answered once, ever."""
    event_id = body.get("event_id") if isinstance(body, dict) else None
    if event_id and body.get("type") == "event_callback":
        store = runtime(context).core.store
        if store is not None and not store.mark_event_seen(event_id, ttl_s=EVENT_TTL_S):
            retry = request.headers.get("x-slack-retry-num", [None])[0]
            log.info("event=duplicate_event event_id=%s retry_num=%s", event_id, retry)
            return BoltResponse(status=200, body="")
    return next()


def on_error(error: Exception, body: dict) -> BoltResponse:
    """A payload of a shape Slack never sends: a 4xx like any junk body, not bolt's 500."""
    kind = body.get("type") if isinstance(body, dict) else None
    log.error("event=listener_error type=%s error=%s", kind, type(error).__name__)
    # Listeners and middleware only read the payload and queue work, so what fails here is
    # the payload (or a malformed signature header). Slack retries any non-2xx alike.
    return BoltResponse(status=400, body={"error": "request could not be handled"})

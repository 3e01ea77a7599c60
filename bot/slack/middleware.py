"""What runs around every listener: the runtime in bolt's context, once-only events, errors.

Listeners are top-level functions (as in bolt's examples), so what they need beyond the
payload (the core, the queues, who to tell "busy") reaches them through `context`, put
there by `WithRuntime`, which also swaps bolt's per-request `client` and `respond` for
ones over the shared keep-alive connections.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltContext, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

from bot import metrics
from bot.core import Core
from bot.slack.connections import SlackConnections
from bot.slack.posting import PooledRespond
from bot.slack.workers import BUSY, Job, Workers
from bot.store.records import StoreError

log = logging.getLogger("errcode.slack")

_KEY = "errcode"
EVENT_TTL_S = 3600


@dataclass(frozen=True)
class Shared:
    """What every request of one app shares: the core, the queues, the connections."""

    core: Core
    workers: Workers
    connections: SlackConnections
    client: WebClient


@dataclass(frozen=True)
class Runtime:
    """What a listener needs besides the payload, for the request being handled."""

    shared: Shared
    context: BoltContext
    body: dict

    @property
    def core(self) -> Core:
        return self.shared.core

    @property
    def workers(self) -> Workers:
        return self.shared.workers

    @property
    def received_at(self) -> float | None:
        """When this request reached the process (epoch seconds), as its transport said:
        kept with a job, it times the answer from receipt to delivery (bot.metrics)."""
        return metrics.received_at(self.context)

    def later(self, job: Callable[[], object], *, slow: bool = False) -> bool:
        """Queue work after the ack (Slack allows 3 s for the HTTP answer). When the queue is
        full the person is told at once that we are busy; False then."""
        kind = "slow" if slow else "answer"
        accepted = self.workers.submit(Job(run=job, busy=self._busy_note, kind=kind,
                                           ref=self._ref()), slow=slow)
        if not accepted:
            self._say_busy()
        return accepted

    def _say_busy(self) -> None:
        """A slash command's ack is still ours to fill (listeners return before bolt sends
        it): the note rides on it, costing Slack no extra call. Others get a post."""
        if self.body.get("command") and self.context.ack.response is not None:
            self.context.ack(text=BUSY, response_type="ephemeral")
        else:
            self.workers.note(self._busy_note)

    def _busy_note(self) -> None:
        url = self.body.get("response_url") or _first_response_url(self.body)
        if url:
            PooledRespond(url, self.shared.connections)(
                text=BUSY, response_type="ephemeral", replace_original=False)  # sent here
            return
        event = self.body.get("event") or {}
        if event.get("channel") and event.get("user"):
            self.shared.client.chat_postEphemeral(
                channel=event["channel"], user=event["user"], text=BUSY,
                thread_ts=event.get("thread_ts") or event.get("ts"))

    def _ref(self) -> str:
        body = self.body
        return str(body.get("event_id") or body.get("trigger_id")
                   or (body.get("event") or {}).get("ts") or "-")


def _first_response_url(body: dict) -> str | None:
    """A view submission's response_urls (when the modal asks for one)."""
    urls = body.get("response_urls") or []
    return urls[0].get("response_url") if urls and isinstance(urls[0], dict) else None


def runtime(context: BoltContext) -> Runtime:
    return context[_KEY]


class WithRuntime(Middleware):
    """Puts this request's Runtime into its context, with bolt's `client` and `respond`
    replaced by ones over the shared connections; answers a retried event once only.

    A `Middleware` subclass, not a decorated function: bolt calls it without inspecting
    arguments, which is a tenth of an ack's cost under load."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        shared, context = self.shared, req.context
        body = req.body if isinstance(req.body, dict) else {}
        context[_KEY] = Runtime(shared, context, body)
        context["client"] = shared.client
        if context.response_url:
            context["respond"] = PooledRespond(context.response_url, shared.connections,
                                               shared.workers.deliveries)
        if _seen_before(shared, body, req):
            return BoltResponse(status=200, body="")
        return next()


def _seen_before(shared: Shared, body: dict, req: BoltRequest) -> bool:
    """Slack retries events it thinks failed: the same event_id is answered once, ever."""
    event_id = body.get("event_id")
    if not event_id or body.get("type") != "event_callback":
        return False
    store = shared.core.store
    try:
        if store is None or store.mark_event_seen(event_id, ttl_s=EVENT_TTL_S):
            return False
    except StoreError:
        # The store is unreachable (a database restart): ack and answer all the same. An
        # acked event is never resent, so answering it here cannot answer it twice; only
        # Slack's own retry of an event answered before the outage could slip through.
        log.warning("event=event_not_recorded event_id=%s reason=store_unreachable", event_id)
        return False
    retry = req.headers.get("x-slack-retry-num", [None])[0]
    log.info("event=duplicate_event event_id=%s retry_num=%s", event_id, retry)
    metrics.METRICS.duplicate_event()
    return True


def on_error(error: Exception, body: dict) -> BoltResponse:
    """A payload of a shape Slack never sends: a 4xx like any junk body, not bolt's 500."""
    kind = body.get("type") if isinstance(body, dict) else None
    log.error("event=listener_error type=%s error=%s", kind, type(error).__name__)
    # Listeners and middleware only read the payload and queue work, so what fails here is
    # the payload (or a malformed signature header). Slack retries any non-2xx alike.
    return BoltResponse(status=400, body={"error": "request could not be handled"})

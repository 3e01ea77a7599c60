"""What one errcode process counts, for Prometheus: `GET /metrics` (bot.slack.http).

    metrics.slack_request("http", body, status=200, seconds=0.004)   # the transports
    answered = metrics.Answered()                       # the answer path (bot.slack.jobs)
    reply = safe(lambda: reply_for(answered(answer(core, asked)), catalog))
    metrics.track_answer(sent, surface="slash", answer=answered.answer, received_at=t)
    metrics.shed("answer", "queue_full")
    metrics.watch_queue_depth("answer", lambda: workers.answers.pending)
    metrics.health_status("prod", "degraded")
    metrics.escalation("packet")

Every label value comes from a fixed set below (anything else is counted as `other`),
except `target`, a health target's configured name: no paste, id or secret can reach a
label. The metrics live in a registry of their own (`Metrics.registry`), never
prometheus_client's global one, so a process may hold several (tests make their own);
the module-level functions record into `METRICS`, the process's. Rates (unmatched answers
per minute, the unmatched share) are PromQL's business: the counters are enough.
"""

from __future__ import annotations

import contextlib
import math
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING, Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import generate_latest
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from bot.answers import Answer

__all__ = [
    "CONTENT_TYPE", "METRICS", "Answered", "Metrics", "answer_outcome", "escalation",
    "health_status", "health_watch_leading", "received_at", "shed", "slack_request",
    "surface_of", "track_answer", "watch_queue_depth",
]

# The classic text format every Prometheus reads (our names need none of 1.0.0's escaping).
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

TRANSPORTS = ("http", "socket")
# Where a Slack request came from: bolt's payload types, folded into the bot's surfaces.
SURFACES = ("slash", "mention", "dm", "shortcut", "button", "view", "event", "other")
# What an answer said: a triage found a documented error (matched) or not; the rest by kind.
OUTCOMES = ("matched", "unmatched", "help", "list", "health", "note", "other")
REJECTIONS = ("signature", "malformed", "too_large", "not_handled")
QUEUES = ("answer", "slow", "note")
SHED_REASONS = ("queue_full", "waited_too_long")
STATUSES = ("healthy", "degraded", "unhealthy", "unreachable", "skipped")
ESCALATION_STAGES = ("started", "packet", "duplicate", "failed")

ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)  # Slack: 3 s
ANSWER_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 30.0, 60.0, 300.0)
RECEIVED_AT = "errcode_received_at"  # bolt context key: when the request reached us (epoch s)
MAX_TARGET_CHARS = 64


def _one_of(value: object, allowed: tuple[str, ...], fallback: str = "other") -> str:
    return value if isinstance(value, str) and value in allowed else fallback


class Metrics:
    """The counters, histograms and gauges of one process, in a registry of their own."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "errcode_slack_requests", "Slack requests verified and handed to the app, by "
            "transport and surface", ["transport", "surface"], registry=r)
        self.acks = Counter(
            "errcode_slack_acks", "Slack requests acknowledged (HTTP 200, or the Socket Mode "
            "ack sent)", ["transport", "surface"], registry=r)
        self.rejected = Counter(
            "errcode_slack_rejected", "Requests refused before or by the app: bad signature, "
            "malformed or oversized body, no listener", ["transport", "reason"], registry=r)
        self.ack_seconds = Histogram(
            "errcode_slack_ack_seconds", "From receiving a Slack request to its ack",
            ["transport", "surface"], buckets=ACK_BUCKETS, registry=r)
        self.duplicates = Counter(
            "errcode_slack_duplicate_events", "Slack events already answered (retries), acked "
            "and dropped", registry=r)
        self.answers = Counter(
            "errcode_answers", "Answers Slack took, by surface and outcome (matched: a "
            "documented error found; unmatched: none)", ["surface", "outcome"], registry=r)
        self.answer_failures = Counter(
            "errcode_answer_delivery_failures", "Answers Slack refused or that could not be "
            "sent", ["surface"], registry=r)
        self.answer_seconds = Histogram(
            "errcode_answer_seconds", "From receiving the question to Slack taking the answer",
            ["surface"], buckets=ANSWER_BUCKETS, registry=r)
        self.shed = Counter(
            "errcode_shed", "Work refused with a busy note instead of a late answer",
            ["queue", "reason"], registry=r)
        self.health = Gauge(
            "errcode_health_status", "1 for a health target's current status word, 0 for the "
            "others (only on the replica running the health watch)", ["target", "status"],
            registry=r)
        self.health_leading = Gauge(
            "errcode_health_watch_leading", "1 while this replica holds the health watch lease",
            registry=r)
        self.escalations = Counter(
            "errcode_escalations", "Escalations: started, packet stored, duplicate click, "
            "failed", ["stage"], registry=r)
        self._depths = _QueueDepths()
        r.register(self._depths)
        self._preset()

    def _preset(self) -> None:
        """Every fixed series at 0 from the start, so rate() sees the first increase."""
        for transport in TRANSPORTS:
            for surface in SURFACES:
                self.requests.labels(transport, surface)
                self.acks.labels(transport, surface)
            for reason in REJECTIONS:
                self.rejected.labels(transport, reason)
        for surface in SURFACES:
            self.answer_failures.labels(surface)
            for outcome in OUTCOMES:
                self.answers.labels(surface, outcome)
        for queue in QUEUES:
            for why in SHED_REASONS:
                self.shed.labels(queue, why)
        for stage in ESCALATION_STAGES:
            self.escalations.labels(stage)

    def text(self) -> bytes:
        """The Prometheus text exposition of everything above."""
        return generate_latest(self.registry)

    # -- the Slack transports ----------------------------------------------------------

    def slack_request(self, transport: str, body: Mapping[str, Any] | None, *, status: int,
                      seconds: float) -> None:
        """One request handled by bolt: 401 is a bad signature (not a request of ours);
        otherwise a request, and an ack when the status is 200."""
        transport = _one_of(transport, TRANSPORTS, "http")
        if status == 401:
            self.rejected.labels(transport, "signature").inc()
            return
        surface = surface_of(body)
        self.requests.labels(transport, surface).inc()
        if status == 200:
            self.acks.labels(transport, surface).inc()
            self.ack_seconds.labels(transport, surface).observe(max(seconds, 0.0))
        elif status == 404:
            self.rejected.labels(transport, "not_handled").inc()

    def slack_rejected(self, transport: str, reason: str) -> None:
        """A request refused before bolt saw it (malformed, too large)."""
        self.rejected.labels(_one_of(transport, TRANSPORTS, "http"),
                             _one_of(reason, REJECTIONS, "malformed")).inc()

    def duplicate_event(self) -> None:
        self.duplicates.inc()

    # -- answers -----------------------------------------------------------------------

    def answer_delivered(self, surface: str, outcome: str, seconds: float | None) -> None:
        surface = _one_of(surface, SURFACES)
        self.answers.labels(surface, _one_of(outcome, OUTCOMES)).inc()
        if seconds is not None and math.isfinite(seconds):
            self.answer_seconds.labels(surface).observe(max(seconds, 0.0))

    def answer_failed(self, surface: str) -> None:
        self.answer_failures.labels(_one_of(surface, SURFACES)).inc()

    def track_answer(self, sent: Any, *, surface: str, answer: Answer | None,
                     received_at: float | None) -> Any:
        """Count the answer once Slack took it (or refused it), and return `sent` unchanged.
        `sent`: what respond()/post() returned: a Future (pooled deliveries), a Delivery, a
        WebhookResponse or a bool. `received_at`: epoch seconds the question arrived
        (`received_at(context)`, kept in the job's payload), for the latency."""
        outcome = answer_outcome(answer)

        def done(ok: bool) -> None:
            if ok:
                seconds = time.time() - received_at if received_at else None
                self.answer_delivered(surface, outcome, seconds)
            else:
                self.answer_failed(surface)

        future = getattr(sent, "outcome", sent)  # bot.slack.posting.Delivery
        if isinstance(future, Future):
            future.add_done_callback(lambda f: done(_succeeded(f)))
        else:
            done(_delivered(sent))
        return sent

    # -- queues, health, escalations ---------------------------------------------------

    def shed_work(self, queue: str, reason: str) -> None:
        self.shed.labels(_one_of(queue, QUEUES, "answer"),
                         _one_of(reason, SHED_REASONS, "queue_full")).inc()

    def watch_queue_depth(self, queue: str, depth: Callable[[], float]) -> None:
        self._depths.watch(_one_of(queue, QUEUES, "answer"), depth)

    def health_status(self, target: str, status: str) -> None:
        name = str(target)[:MAX_TARGET_CHARS]
        status = _one_of(status, STATUSES, "unhealthy")
        for word in STATUSES:
            self.health.labels(name, word).set(1 if word == status else 0)

    def health_watch_leading(self, leading: bool) -> None:
        """A replica that stops leading stops reporting statuses it no longer checks."""
        self.health_leading.set(1 if leading else 0)
        if not leading:
            self.health.clear()

    def escalation(self, stage: str) -> None:
        self.escalations.labels(_one_of(stage, ESCALATION_STAGES, "started")).inc()


class _QueueDepths(Collector):
    """`errcode_queue_depth{queue}`: read from the queues when scraped. Latest watch wins."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._depths: dict[str, Callable[[], float]] = {}

    def watch(self, queue: str, depth: Callable[[], float]) -> None:
        with self._lock:
            self._depths[queue] = depth

    def describe(self) -> Iterable[Metric]:
        return [self._family()]

    def collect(self) -> Iterator[Metric]:
        family = self._family()
        with self._lock:
            depths = dict(self._depths)
        for queue, depth in sorted(depths.items()):
            with contextlib.suppress(Exception):  # a queue that cannot say is left out
                family.add_metric([queue], float(depth()))
        yield family

    @staticmethod
    def _family() -> GaugeMetricFamily:
        return GaugeMetricFamily("errcode_queue_depth", "Work accepted and not yet done "
                                 "(answers: waiting, computing or being delivered)",
                                 labels=["queue"])


class Answered:
    """Passes an answer through and keeps it, so the outcome can be counted once the reply
    built from it (inside `safe()`) has gone: `reply_for(answered(answer(...)), ...)`."""

    def __init__(self) -> None:
        self.answer: Answer | None = None

    def __call__(self, answer: Answer) -> Answer:
        self.answer = answer
        return answer


def surface_of(body: Mapping[str, Any] | None) -> str:
    """The surface of a Slack payload, from its type only (never its text)."""
    if not isinstance(body, Mapping):
        return "other"
    if body.get("command"):
        return "slash"
    kind = body.get("type")
    if kind == "event_callback":
        event = body.get("event") or {}
        if not isinstance(event, Mapping):
            return "event"
        if event.get("type") == "app_mention":
            return "mention"
        if event.get("type") == "message" and event.get("channel_type") == "im":
            return "dm"
        return "event"
    if kind in ("message_action", "shortcut"):
        return "shortcut"
    if kind in ("block_actions", "interactive_message"):
        return "button"
    if kind in ("view_submission", "view_closed"):
        return "view"
    return "other"


def answer_outcome(answer: Answer | None) -> str:
    """matched / unmatched for a triage; help, list, health, note by kind; other for none."""
    if answer is None:
        return "other"
    if answer.kind == "triage":
        return "matched" if answer.triage is not None and answer.triage.confident else "unmatched"
    return _one_of(answer.kind, OUTCOMES)


def received_at(context: Mapping[str, Any] | None) -> float | None:
    """When the request being handled reached this process (epoch seconds), as the
    transport put it in bolt's context."""
    value = context.get(RECEIVED_AT) if context is not None else None
    return float(value) if isinstance(value, int | float) else None


def _succeeded(future: Future) -> bool:
    if future.cancelled() or future.exception() is not None:
        return False
    return _delivered(future.result())


def _delivered(value: Any) -> bool:
    """A WebhookResponse under 300, True, or a truthy result: Slack took it."""
    status = getattr(value, "status_code", None)
    if isinstance(status, int):
        return status < 300
    return bool(value)


METRICS = Metrics()

# The process's metrics, as one-line calls for the files that record them.
slack_request = METRICS.slack_request
track_answer = METRICS.track_answer
shed = METRICS.shed_work
watch_queue_depth = METRICS.watch_queue_depth
health_status = METRICS.health_status
health_watch_leading = METRICS.health_watch_leading
escalation = METRICS.escalation

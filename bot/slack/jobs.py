"""The Slack questions kept as jobs: what a listener stores at the ack (a kind and a JSON
payload: what to answer, where, for whom), and how any replica answers from that alone.

    slash              /errcode: answered privately through its response_url
    thread             a mention, a DM, the "Triage this error" shortcut: answered in the
                       thread (files shared with the message are read by the worker);
                       `paster` (the message's author) is told privately what was hidden
    escalate_mention   `@errcode escalate` in a thread: the escalation starts there

The payload holds the question already redacted (bot.redact, at the ack), with the
counts of what was hidden for the private note: the raw paste never reaches the store,
its write-ahead log or a backup. The answer needs no more: triaging the redacted text
gives the same confident answers (the 747 accuracy cases, 28 of them with secrets: none
changed). The row is deleted once the answer is delivered. Tokens never enter it.

Thread answers carry the job id in their message metadata, so a job taken again after
its replica died between Slack taking the post and the job being recorded done finds its
answer in the thread and does not post it twice.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot import metrics
from bot.answers import Answer, Asked, answer
from bot.core import Core
from bot.redact import Redactor
from bot.slack import escalation
from bot.slack.blocks import text_reply
from bot.slack.connections import SlackConnections
from bot.slack.listeners.events import SharedFiles, images_only, read_files
from bot.slack.middleware import Runtime
from bot.slack.posting import PooledRespond, post, safe
from bot.slack.private_notes import tell_paster
from bot.slack.replies import reply_for
from bot.slack.stored_queue import Claim, Runner
from bot.slack.workers import BUSY, Deliveries, Job

log = logging.getLogger("errcode.slack")

SLASH, THREAD, ESCALATE_MENTION = "slash", "thread", "escalate_mention"
ANSWER_EVENT = "errcode_answer"  # metadata event_type of thread answers
NOT_IN_A_THREAD = ("Mention me with `escalate` *inside* the thread you want to escalate, or "
                   "use the message shortcut *Escalate this thread*.")
_REPLY_PAGES = 5  # of 200 replies: how far a resumed job looks for its earlier answer

Payload = Mapping[str, Any]


def submit(rt: Runtime, kind: str, payload: dict[str, Any], *, slow: bool = False,
           ack: Ack | None = None) -> bool:
    """Keep the job for a worker of any replica, then `ack` (when given: a slash command
    acks here, with the busy note when shed). False when shed: the person was told busy."""
    runner = rt.workers.runner
    if runner is None:
        raise RuntimeError("the workers have no runner: build the app with build_app()")
    ref = _ref(rt.body)
    event_id = rt.body.get("event_id") if rt.body.get("type") == "event_callback" else None
    # The queue was full a moment ago: "busy" at once. Not for events, whose shedding is
    # recorded with their mark in the store (a retry of it must not be answered).
    if event_id is None and rt.workers.shed_at_once(kind, ref, slow=slow):
        _busy(rt, runner, kind, {k: v for k, v in payload.items() if k != "text"}, ack)
        return False
    payload = {**payload, "ref": ref, "received_at": rt.received_at}
    if payload.get("text"):  # never stored as pasted
        redactor = Redactor(rt.core.settings.redact_patterns)
        payload["text"] = redactor.redact(payload["text"])
        payload["hidden"] = sorted(redactor.kinds.items())
    job = Job(run=lambda: runner.run(kind, payload, Claim(None)),
              busy=lambda: runner.busy(kind, payload), kind=kind, ref=payload["ref"],
              payload=payload, event_id=event_id)
    accepted = rt.workers.submit(job, slow=slow)
    if accepted:
        if ack is not None:
            ack()
    else:
        _busy(rt, runner, kind, payload, ack)
    return accepted


def _busy(rt: Runtime, runner: Runner, kind: str, payload: Payload, ack: Ack | None) -> None:
    """Tell the person we are busy: in the ack when we have one (no extra call to Slack),
    else privately where the answer would have gone."""
    if ack is not None:
        ack(text=BUSY, response_type="ephemeral")
    else:
        rt.workers.note(lambda: runner.busy(kind, payload))


@dataclass(frozen=True)
class SlackJobs:
    """Runs the stored jobs (bot.slack.stored_queue.Runner) with the app's client and
    connections."""

    core: Core
    client: WebClient
    connections: SlackConnections
    deliveries: Deliveries | None = None
    kinds: frozenset[str] = frozenset({SLASH, THREAD, ESCALATE_MENTION})

    def run(self, kind: str, payload: Payload, claim: Claim) -> object:
        runs: dict[str, Callable[[Payload, Claim], object]] = {
            SLASH: self._slash, THREAD: self._thread, ESCALATE_MENTION: self._escalate}
        return runs[kind](payload, claim)

    def busy(self, kind: str, payload: Payload) -> None:
        """The busy note, where the answer would have gone (privately)."""
        url = payload.get("response_url")
        if url:
            PooledRespond(url, self.connections)(  # sent here, not from the deliveries
                text=BUSY, response_type="ephemeral", replace_original=False)
            return
        if payload.get("channel") and payload.get("user"):
            self.client.chat_postEphemeral(channel=payload["channel"], user=payload["user"],
                                           text=BUSY, thread_ts=payload.get("thread_ts"))

    # -- the kinds ---------------------------------------------------------------------

    def _slash(self, p: Payload, claim: Claim) -> object:
        asked = Asked(text=p.get("text", ""), channel=p.get("channel"), user=p.get("user"),
                      surface="slash", ephemeral=True)
        answered = metrics.Answered()
        reply = safe(lambda: reply_for(answered(self._answer(asked, p)), self.core.catalog))
        if not claim.sending():
            return None
        sent = self._respond(p["response_url"])(response_type="ephemeral", text=reply.text,
                                                blocks=reply.blocks)
        return metrics.track_answer(sent, surface="slash", answer=answered.answer,
                                    received_at=p.get("received_at"))

    def _thread(self, p: Payload, claim: Claim) -> object:
        """Answer under the message (or in its thread), its files read with it; a refused
        post becomes a private hint (by response_url for a shortcut)."""
        channel, thread_ts, user = p.get("channel"), p.get("thread_ts"), p.get("user")
        if claim.resumed and claim.job_id and self._answered_before(channel, thread_ts,
                                                                    claim.job_id):
            log.info("event=job_already_answered job=%s channel=%s", claim.job_id, channel)
            return None
        text = p.get("text", "")
        files = read_files(self.client, list(p["files"])) if p.get("files") else SharedFiles()
        asked = Asked(text=files.with_text(text), channel=channel, user=user,
                      surface=p.get("surface", "mention"))
        answered = metrics.Answered()
        reply = images_only(files, text) or files.note_on(
            safe(lambda: reply_for(answered(self._answer(asked, p)), self.core.catalog)))
        if not claim.sending():
            return None
        url = p.get("response_url")
        metadata = ({"event_type": ANSWER_EVENT, "event_payload": {"job": claim.job_id}}
                    if claim.job_id else None)
        posted = post(self.client, self._respond(url) if url else None, channel, reply,
                      thread_ts=thread_ts, user=None if url else user, metadata=metadata)
        # Secrets hidden from the paste: told privately to whoever pasted it, once posted.
        tell_paster(self.client, reply, channel, p.get("paster", user), thread_ts=thread_ts,
                    after=posted)
        return metrics.track_answer(posted.outcome, surface=p.get("surface", "mention"),
                                    answer=answered.answer, received_at=p.get("received_at"))

    def _escalate(self, p: Payload, claim: Claim) -> object:
        event = {k: p.get(k) for k in ("channel", "ts", "thread_ts", "user")}
        if not claim.sending():
            return None
        if not escalation.start_in_thread(self.core, self.client, event, p.get("bot_user")):
            post(self.client, None, p.get("channel"), text_reply(NOT_IN_A_THREAD),
                 thread_ts=p.get("ts"))
        return None

    # -- helpers -----------------------------------------------------------------------

    def _answer(self, asked: Asked, p: Payload) -> Answer:
        """The answer to the (redacted) question, saying what the ack hid from it."""
        got = answer(self.core, asked)
        if got.kind == "triage" and p.get("hidden"):
            hidden = dict(got.hidden)
            for kind, count in p["hidden"]:
                hidden[kind] = hidden.get(kind, 0) + count
            got = dataclasses.replace(got, hidden=tuple(sorted(hidden.items())))
        return got

    def _respond(self, url: str) -> PooledRespond:
        return PooledRespond(url, self.connections, self.deliveries)

    def _answered_before(self, channel: str | None, thread_ts: str | None,
                         job_id: str) -> bool:
        """Is this job's answer already in the thread (an earlier claim posted it, then its
        replica died before recording it)? When Slack cannot say, answer again."""
        if not channel or not thread_ts:
            return False
        cursor = None
        try:
            for _ in range(_REPLY_PAGES):
                resp = self.client.conversations_replies(
                    channel=channel, ts=thread_ts, include_all_metadata=True, limit=200,
                    cursor=cursor)
                for message in resp.get("messages") or []:
                    meta = message.get("metadata") or {}
                    if meta.get("event_type") == ANSWER_EVENT and (
                            meta.get("event_payload") or {}).get("job") == job_id:
                        return True
                cursor = (resp.get("response_metadata") or {}).get("next_cursor")
                if not cursor:
                    return False
        except SlackApiError as err:
            if err.response.get("error") != "thread_not_found":
                log.warning("event=answer_check_failed job=%s error=%s", job_id,
                            err.response.get("error"))
        return False


def _ref(body: dict) -> str:
    """Slack's id of the request, for logs: the event, or the interaction."""
    return str(body.get("event_id") or body.get("trigger_id")
               or (body.get("event") or {}).get("ts") or "-")

"""The bolt app: one small listener per surface, each acking first, then calling the core.

Listeners translate Slack payloads into `Asked` values and `Reply` objects into
Web API calls; the answers themselves come from `bot.slack.replies`.
"""

from __future__ import annotations

import logging
import uuid
import weakref
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.slack import escalate
from bot.slack.blocks import (
    ACTION_ESCALATE,
    ACTION_HEALTH,
    ACTION_HELPFUL,
    ACTION_NOT_HELPFUL,
    ACTION_OTHERS,
    ACTION_SHARE,
    Reply,
    text_reply,
)
from bot.slack.replies import (
    Asked,
    Core,
    answer,
    api_error_hint,
    health_reply,
    record_feedback,
    replay,
    strip_bot_mention,
)

log = logging.getLogger("errcode.slack")

COMMAND = "/errcode"
SHORTCUT_TRIAGE = "triage_message"
EVENTS = ("app_mention", "message")
EXPIRED = "That answer has expired. Run `/errcode` again with the error."
QUICK_THREADS = 2  # see Workers
ESCALATE_WORDS = {"escalate", "escalate this", "escalate thread", "escalate this thread"}


def web_client(token: str | None, api_url: str | None) -> WebClient:
    """A WebClient that waits out Slack's 429s (Retry-After) and retries dropped connections."""
    kwargs: dict[str, Any] = {"token": token, "timeout": 15, "retry_handlers": [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
    ]}
    if api_url:
        kwargs["base_url"] = api_url
    return WebClient(**kwargs)


def build_app(services: Core, client: WebClient | None = None) -> App:
    """The real bolt app, for HTTP mode, Socket Mode and the local console alike."""
    if services.store is None:
        raise ValueError("the Slack app needs a Store (seen events, queries, feedback)")
    slack = services.settings.slack
    client = client or web_client(slack.bot_token, slack.api_url)
    app = App(
        client=client,
        signing_secret=slack.signing_secret or "",
        token_verification_enabled=False,  # startup must not depend on Slack answering
        request_verification_enabled=True,
        # Listeners run in the request's thread and only ack and queue their work (see
        # _register), so the HTTP answer leaves as soon as they return: no executor hop,
        # no polling for ack().
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )
    _register(app, services, Workers(slack.listener_threads))
    return app


class _Recorder:
    """Registers listeners on the app and remembers them, for the manifest check."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.seen: dict[str, set[str]] = defaultdict(set)
        _REGISTRY[app] = self.seen

    def command(self, name: str) -> Callable:
        self.seen["commands"].add(name)
        return self.app.command(name)

    def event(self, name: str, subscription: str) -> Callable:
        self.seen["bot_events"].add(subscription)
        return self.app.event(name)

    def shortcut(self, callback_id: str) -> Callable:
        self.seen["message_shortcuts"].add(callback_id)
        return self.app.shortcut(callback_id)

    def action(self, action_id: str) -> Callable:
        self.seen["actions"].add(action_id)
        return self.app.action(action_id)

    def view(self, callback_id: str) -> Callable:
        self.seen["views"].add(callback_id)
        return self.app.view(callback_id)

    def feature(self, name: str) -> None:
        """A capability with scopes of its own (e.g. reading threads to escalate them)."""
        self.seen["features"].add(name)


# Each registered feature and the bot scopes it needs, so manifest.yml asks for no more.
SCOPES = {
    ("commands", COMMAND): {"commands", "chat:write"},
    ("message_shortcuts", SHORTCUT_TRIAGE): {"commands", "chat:write"},
    ("message_shortcuts", escalate.SHORTCUT_ESCALATE): {"commands"},
    ("bot_events", "app_mention"): {"app_mentions:read", "chat:write"},
    ("bot_events", "message.im"): {"im:history", "chat:write"},
    # Escalation reads whole threads (replies) and their text files, uploads the packet.
    ("features", "escalation"): {"channels:history", "groups:history", "im:history",
                                 "mpim:history", "files:read", "files:write", "chat:write"},
}


def required_scopes(registered: dict[str, set[str]]) -> set[str]:
    """The bot scopes the registered listeners need (buttons need none of their own)."""
    needed: set[str] = set()
    for kind, names in registered.items():
        for name in names:
            needed |= SCOPES.get((kind, name), set())
    return needed


_REGISTRY: weakref.WeakKeyDictionary[App, dict[str, set[str]]] = weakref.WeakKeyDictionary()


def registered_listeners(app: App) -> dict[str, set[str]]:
    """What this app listens for, by kind; the manifest test compares it with manifest.yml."""
    return {kind: set(names) for kind, names in _REGISTRY.get(app, {}).items()}


class Workers:
    """Where listeners send their work once they have acked.

    Answers are CPU work under one GIL: a few threads keep up, and fewer threads
    competing for the GIL keep acks quick. Health checks and escalations mostly wait on
    the network, so they get their own, larger pool and never hold up answers.
    """

    def __init__(self, slow_threads: int) -> None:
        self.quick = ThreadPoolExecutor(max_workers=min(QUICK_THREADS, slow_threads),
                                        thread_name_prefix="errcode-answer")
        self.slow = ThreadPoolExecutor(max_workers=slow_threads,
                                       thread_name_prefix="errcode-slow")

    def later(self, job: Callable[[], object], *, slow: bool = False) -> None:
        (self.slow if slow else self.quick).submit(_guard, job)


def _register(app: App, services: Core, workers: Workers) -> None:
    """Every listener acks at once and hands the real work to `workers`, so the HTTP
    answer to Slack never waits for an answer to be built (Slack allows 3 s)."""
    app.middleware(_dedupe_events(services))
    app.error(_on_error)
    reg = _Recorder(app)

    later = workers.later

    def slow_text(text: str) -> bool:
        return services.is_health_request(text.split())

    @reg.command(COMMAND)
    def on_command(ack: Callable, command: dict, respond: Callable) -> None:
        ack()
        asked = Asked(text=command.get("text", ""), channel=command.get("channel_id"),
                      user=command.get("user_id"), surface="slash", ephemeral=True)

        def job() -> None:
            reply = _safe(lambda: answer(services, asked))
            respond(response_type="ephemeral", text=reply.text, blocks=reply.blocks)
        later(job, slow=slow_text(asked.text))

    @reg.event("app_mention", "app_mention")
    def on_mention(event: dict, client: WebClient, context: dict) -> None:
        text = strip_bot_mention(event.get("text", ""))
        if text.strip().lower().rstrip(".!") not in ESCALATE_WORDS:
            later(lambda: _answer_in_thread(services, client, event, text, "mention"),
                  slow=slow_text(text))
            return

        def job() -> None:
            if not escalate.start_from_event(services, client, event,
                                             context.get("bot_user_id")):
                _post(client, None, event.get("channel"), text_reply(
                    "Mention me with `escalate` *inside* the thread you want to escalate, "
                    "or use the message shortcut *Escalate this thread*."),
                    thread_ts=event.get("ts"))
        later(job, slow=True)

    @reg.event("message", "message.im")
    def on_message(event: dict, client: WebClient) -> None:
        # Only direct messages are answered; channel chatter is not ours to read.
        if event.get("channel_type") != "im" or event.get("bot_id") or event.get("subtype"):
            return
        later(lambda: _answer_in_thread(services, client, event, event.get("text", ""), "dm"))

    @reg.shortcut(SHORTCUT_TRIAGE)
    def on_triage_shortcut(ack: Callable, shortcut: dict, client: WebClient,
                           respond: Callable) -> None:
        ack()
        message = shortcut.get("message") or {}
        channel = (shortcut.get("channel") or {}).get("id")
        user = (shortcut.get("user") or {}).get("id")
        asked = Asked(text=message_text(message), channel=channel, user=user,
                      surface="shortcut")
        thread_ts = message.get("thread_ts") or message.get("ts")
        later(lambda: _post(client, respond, channel, _safe(lambda: answer(services, asked)),
                            thread_ts=thread_ts))

    @reg.action(ACTION_SHARE)
    def on_share(ack: Callable, body: dict, action: dict, client: WebClient,
                 respond: Callable) -> None:
        ack()
        user, channel = _who(body)

        def job() -> None:
            reply = replay(services, action.get("value", ""), user=user, channel=channel,
                           shared=True)
            if reply is None:
                respond(response_type="ephemeral", replace_original=False, text=EXPIRED)
            elif _post(client, respond, channel, reply):
                respond(delete_original=True)
        later(job)

    @reg.action(ACTION_OTHERS)
    def on_others(ack: Callable, body: dict, action: dict, respond: Callable) -> None:
        ack()
        user, channel = _who(body)
        ephemeral = bool((body.get("container") or {}).get("is_ephemeral"))

        def job() -> None:
            reply = replay(services, action.get("value", ""), user=user, channel=channel,
                           show_others=True, offer_share=ephemeral)
            if reply is None:
                respond(response_type="ephemeral", replace_original=False, text=EXPIRED)
                return
            respond(response_type="ephemeral", replace_original=ephemeral, text=reply.text,
                    blocks=reply.blocks)
        later(job)

    @reg.action(ACTION_ESCALATE)
    def on_escalate(ack: Callable, body: dict, client: WebClient, context: dict) -> None:
        ack()
        user, channel = _who(body)
        container = body.get("container") or {}
        ref = escalate.ThreadRef(channel or "", container.get("thread_ts")
                                 or container.get("message_ts") or "")
        later(lambda: escalate.start(services, client, ref, user=user,
                                     trigger_id=body.get("trigger_id"),
                                     bot_user=context.get("bot_user_id")), slow=True)

    reg.feature("escalation")
    escalate.register(reg, services, lambda job: later(job, slow=True))

    @reg.action(ACTION_HEALTH)
    def on_health(ack: Callable, body: dict, action: dict, client: WebClient,
                  respond: Callable) -> None:
        ack()
        user, channel = _who(body)
        product = action.get("value", "").partition("|")[2] or None
        container = body.get("container") or {}

        def job() -> None:
            reply = _safe(lambda: health_reply(services, [], user=user, channel=channel,
                                               product=product))
            if container.get("is_ephemeral"):
                respond(response_type="ephemeral", replace_original=False, text=reply.text,
                        blocks=reply.blocks)
                return
            thread_ts = container.get("thread_ts") or container.get("message_ts")
            _post(client, respond, channel, reply, thread_ts=thread_ts)
        later(job, slow=True)

    def feedback(helpful: bool) -> Callable:
        def on_feedback(ack: Callable, body: dict, action: dict, respond: Callable) -> None:
            ack()
            user, _ = _who(body)

            def job() -> None:
                reply = record_feedback(services, action.get("value", ""), helpful=helpful,
                                        user=user)
                respond(response_type="ephemeral", replace_original=False, text=reply.text,
                        blocks=reply.blocks)
            later(job)
        return on_feedback

    reg.action(ACTION_HELPFUL)(feedback(True))
    reg.action(ACTION_NOT_HELPFUL)(feedback(False))


# --------------------------------------------------------------------------- helpers


def message_text(message: dict) -> str:
    """The text of a message, including attachment text people forward with it."""
    parts = [message.get("text") or ""]
    for att in message.get("attachments") or []:
        parts += [att.get("pretext") or "", att.get("text") or "", att.get("fallback") or ""]
    return "\n".join(p for p in parts if p)


def _answer_in_thread(services: Core, client: WebClient, event: dict, text: str,
                      surface: str) -> None:
    channel = event.get("channel")
    asked = Asked(text=text, channel=channel, user=event.get("user"), surface=surface)
    reply = _safe(lambda: answer(services, asked))
    _post(client, None, channel, reply, thread_ts=event.get("thread_ts") or event.get("ts"),
          user=event.get("user"))


def _post(client: WebClient, respond: Callable | None, channel: str | None, reply: Reply,
          thread_ts: str | None = None, user: str | None = None) -> bool:
    """Post a reply; on a Slack API error tell the user privately what to do, and log it."""
    try:
        client.chat_postMessage(channel=channel or "", text=reply.text, blocks=reply.blocks,
                                thread_ts=thread_ts, unfurl_links=False, unfurl_media=False)
        return True
    except SlackApiError as err:
        code = str(err.response.get("error", "unknown_error"))
        log.warning("event=post_failed channel=%s error=%s", channel, code)
        hint = api_error_hint(code)
        if respond is not None:
            respond(response_type="ephemeral", replace_original=False, text=hint)
        elif user:  # a mention or DM has no response_url: try a private note in place
            try:
                client.chat_postEphemeral(channel=channel or "", user=user, text=hint,
                                          thread_ts=thread_ts)
            except SlackApiError as again:
                log.warning("event=hint_failed channel=%s error=%s", channel,
                            again.response.get("error"))
        return False


def _safe(build: Callable[[], Reply]) -> Reply:
    """Build a reply; an unexpected failure becomes a clear message and a log line."""
    try:
        return build()
    except Exception:
        ref = uuid.uuid4().hex[:8]
        log.exception("event=reply_failed ref=%s", ref)
        return text_reply(f":warning: Something went wrong on our side (ref `{ref}`). The error "
                          "was logged; please try again or use `errcode lookup`.")


def _guard(work: Callable[[], object]) -> object:
    """Run slow listener work; a failure is logged with a reference, never raised to bolt."""
    try:
        return work()
    except SlackApiError as err:
        log.warning("event=slack_api_error error=%s", err.response.get("error"))
    except Exception:
        log.exception("event=listener_failed ref=%s", uuid.uuid4().hex[:8])
    return None


def _who(body: dict) -> tuple[str | None, str | None]:
    user = (body.get("user") or {}).get("id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get(
        "channel_id")
    return user, channel


def _dedupe_events(services: Core) -> Callable:
    """Slack retries events it thinks failed: the same event_id is answered once, ever."""

    def dedupe(body: dict, next: Callable, request: Any) -> BoltResponse | None:
        event_id = body.get("event_id") if isinstance(body, dict) else None
        if event_id and body.get("type") == "event_callback":
            retry = request.headers.get("x-slack-retry-num", [None])[0]
            if not services.store.mark_event_seen(event_id, ttl_s=3600):
                log.info("event=duplicate_event event_id=%s retry_num=%s", event_id, retry)
                return BoltResponse(status=200, body="")
        return next()

    return dedupe


def _on_error(error: Exception, body: dict) -> BoltResponse:
    kind = body.get("type") if isinstance(body, dict) else None
    log.error("event=listener_error type=%s error=%s", kind, type(error).__name__)
    # Listeners and middleware only read the payload and queue work, so what fails here
    # is a payload of a shape Slack never sends (or a malformed signature header): a 4xx
    # like any other junk body, not bolt's default 500. Slack retries any non-2xx alike.
    return BoltResponse(status=400, body={"error": "request could not be handled"})


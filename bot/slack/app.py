"""The bolt app: wiring only. Which listener answers which command, event, button or view.

The listeners themselves are top-level functions in `bot/slack/listeners/`, one module
per surface; what they need beyond the payload comes in bolt's `context` (see
`bot.slack.middleware`). What is registered is recorded, so tests hold manifest.yml to
it and the manifest asks for no scope the code does not use.
"""

from __future__ import annotations

import re
import weakref
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
)

from bot.core import Core
from bot.slack import ids
from bot.slack.connections import PooledWebClient, SlackConnections
from bot.slack.jobs import SlackJobs
from bot.slack.listeners import buttons, escalation, events, mention, shortcuts, slash_command
from bot.slack.middleware import Shared, WithRuntime, on_error
from bot.slack.workers import Workers

# Each registered feature and the bot scopes it needs, so manifest.yml asks for no more.
SCOPES = {
    ("commands", ids.COMMAND): {"commands", "chat:write"},
    ("message_shortcuts", ids.SHORTCUT_TRIAGE): {"commands", "chat:write"},
    ("message_shortcuts", ids.SHORTCUT_ESCALATE): {"commands"},
    # Files shared with a mention or a DM are read (text files and snippets).
    ("bot_events", "app_mention"): {"app_mentions:read", "chat:write", "files:read"},
    ("bot_events", "message.im"): {"im:history", "chat:write", "files:read"},
    # Escalation reads whole threads (replies) and their text files, uploads the packet.
    ("features", "escalation"): {"channels:history", "groups:history", "im:history",
                                 "mpim:history", "files:read", "files:write", "chat:write"},
}

_REGISTRY: weakref.WeakKeyDictionary[App, dict[str, set[str]]] = weakref.WeakKeyDictionary()


def build_app(core: Core, workers: Workers | None = None) -> App:
    """The real bolt app, for HTTP mode and Socket Mode alike. Questions are kept in the
    core's store until answered (`Workers.attach`), by this replica or another."""
    if core.store is None:
        raise ValueError("the Slack app needs a Store (seen events, queries, feedback)")
    slack = core.settings.slack
    workers = workers or Workers(slack.listener_threads)
    connections = SlackConnections()
    client = web_client(slack.bot_token, slack.api_url, connections, workers)
    workers.attach(core.store, SlackJobs(core, client, connections, workers.deliveries))
    app = App(
        client=client,
        signing_secret=slack.signing_secret or "",
        token_verification_enabled=False,  # startup must not depend on Slack answering
        request_verification_enabled=True,
        # Listeners run in the request's thread and only ack and queue their work, so the
        # HTTP answer leaves as soon as they return: no executor hop, no polling for ack().
        process_before_response=True,
        raise_error_for_unhandled_request=False,
        # Not an event_callback, so no listener can take it; answered before authorization
        # (it needs none), right after the signature check.
        before_authorize=events.AppRateLimited(),
    )
    app.middleware(WithRuntime(Shared(core, workers, connections, client)))
    app.error(on_error)
    _register_listeners(_Recorder(app))
    return app


def _register_listeners(on: _Recorder) -> None:
    """Which listener answers what: the one table of the app (bolt's starter-template habit)."""
    on.command(ids.COMMAND, slash_command.on_command)
    on.event("app_mention", mention.on_mention)
    on.event("message", mention.on_direct_message, subscription="message.im")
    on.shortcut(ids.SHORTCUT_TRIAGE, shortcuts.on_triage_shortcut)
    on.action(ids.ACTION_SHARE, buttons.on_share)
    on.action(ids.ACTION_OTHERS, buttons.on_others)
    on.action(ids.ACTION_HEALTH, buttons.on_health)
    on.action(ids.ACTION_HELPFUL, buttons.on_helpful)
    on.action(ids.ACTION_NOT_HELPFUL, buttons.on_not_helpful)
    on.feature("escalation")
    on.shortcut(ids.SHORTCUT_ESCALATE, escalation.on_escalate_shortcut)
    on.action(ids.ACTION_ESCALATE, escalation.on_escalate_button)
    on.action(ids.ACTION_COMPLETE, escalation.on_prompt_button)
    on.action(ids.ACTION_AS_IS, escalation.on_prompt_button)
    on.action(ids.ACTION_EMAIL, escalation.on_email_link)
    on.action(ids.ACTION_SHARE_PACKET, escalation.on_share_packet)
    on.view(ids.VIEW_ESCALATE, escalation.on_form_submitted)
    on.app.event(re.compile(".*"))(events.on_other_event)  # last: any other event gets a 200


def web_client(token: str | None, api_url: str | None,
               connections: SlackConnections | None = None,
               workers: Workers | None = None) -> WebClient:
    """A WebClient that waits out Slack's 429s (Retry-After) and retries dropped connections;
    over `connections` (kept alive, shared) when given, posting from `workers`' deliveries."""
    kwargs: dict[str, Any] = {"token": token, "timeout": 15, "retry_handlers": [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=3),
    ]}
    if api_url:
        kwargs["base_url"] = api_url
    if connections is not None:
        return PooledWebClient(connections=connections,
                               deliveries=workers.deliveries if workers else None, **kwargs)
    return WebClient(**kwargs)


def required_scopes(registered: dict[str, set[str]]) -> set[str]:
    """The bot scopes the registered listeners need (buttons need none of their own)."""
    needed: set[str] = set()
    for kind, names in registered.items():
        for name in names:
            needed |= SCOPES.get((kind, name), set())
    return needed


def registered_listeners(app: App) -> dict[str, set[str]]:
    """What this app listens for, by kind; the manifest test compares it with manifest.yml."""
    return {kind: set(names) for kind, names in _REGISTRY.get(app, {}).items()}


class _Recorder:
    """Registers listeners on the app and remembers them, for the manifest check."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.seen: dict[str, set[str]] = defaultdict(set)
        _REGISTRY[app] = self.seen

    def command(self, name: str, listener: Callable) -> None:
        self.seen["commands"].add(name)
        self.app.command(name)(listener)

    def event(self, name: str, listener: Callable, subscription: str | None = None) -> None:
        self.seen["bot_events"].add(subscription or name)
        self.app.event(name)(listener)

    def shortcut(self, callback_id: str, listener: Callable) -> None:
        self.seen["message_shortcuts"].add(callback_id)
        self.app.shortcut(callback_id)(listener)

    def action(self, action_id: str, listener: Callable) -> None:
        self.seen["actions"].add(action_id)
        self.app.action(action_id)(listener)

    def view(self, callback_id: str, listener: Callable) -> None:
        self.seen["views"].add(callback_id)
        self.app.view(callback_id)(listener)

    def feature(self, name: str) -> None:
        """A capability with scopes of its own (e.g. reading threads to escalate them)."""
        self.seen["features"].add(name)

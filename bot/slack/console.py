"""`errcode shell`: the Slack bot in a terminal, with no Slack and no tokens.

The real bolt app runs with the same listeners; each line you type becomes a
signed slash command (or an `@errcode` mention), the bot's Web API calls land on
the local Slack stand-in, and the Block Kit it sent is printed as text. Buttons
are numbered: `!2` presses button 2 of the last answer.
"""

from __future__ import annotations

import logging
import secrets
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import TextIO

from slack_bolt import App
from slack_bolt.request import BoltRequest

from bot.catalog.model import Catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.slack import payloads
from bot.slack.app import ESCALATE_WORDS, build_app
from bot.slack.blocks_text import ButtonRef, blocks_to_text
from bot.slack.local_api import LocalSlackAPI
from bot.store import Store

CHANNEL = "C0CONSOLE"
USER = "U0CONSOLE"
PASTE_MARKERS = ('"""', "```")
OUTPUT_METHODS = ("chat.postMessage", "chat.postEphemeral", "chat.update", "response_url",
                  "files.completeUploadExternal", "views.open")
BANNER = """errcode console: the Slack bot's answers, locally (no Slack needed).
  type or paste an error      answered like /errcode (only you see it)
  @errcode <text>             answered like a mention, in a thread
  @errcode escalate           an escalation packet of everything pasted so far
  \"\"\" ... \"\"\"                 a multi-line paste (``` works too)
  !N                          press button N of the last answer
  :help  :quit"""


@dataclass(frozen=True)
class Origin:
    """Where the last answer was shown, so its buttons can be pressed."""

    ephemeral: bool
    message_ts: str
    buttons: tuple[ButtonRef, ...]


class ConsoleSession:
    """Drives the bolt app through signed requests and reads what it sent to 'Slack'."""

    def __init__(self, app: App, api: LocalSlackAPI, secret: str, out: TextIO,
                 timeout_s: float = 10.0) -> None:
        self.app, self.api, self.secret, self.out = app, api, secret, out
        self.timeout_s = timeout_s
        self.origin: Origin | None = None
        self._n = 0
        # Everything typed is also a message of one console thread, so `@errcode escalate`
        # has a thread to read, as it would in Slack.
        self.thread_ts = payloads.new_ts()
        self.thread: list[dict] = []

    def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if text.startswith("!") and text[1:].isdigit():
            self.press(int(text[1:]))
        elif text.lower().startswith("@errcode"):
            asked = text[len("@errcode"):].strip()
            if asked.lower().rstrip(".!") in ESCALATE_WORDS:
                self.escalate()
                return
            event = payloads.app_mention_event(asked, user=USER, channel=CHANNEL)
            self._send(payloads.event_callback(event))
        else:
            self._remember(text)
            if text.startswith("/errcode"):
                text = text[len("/errcode"):].strip()
            self._send(payloads.slash_command(text, user_id=USER, channel_id=CHANNEL,
                                              response_url=self._response_url()))

    def _remember(self, text: str) -> None:
        self.thread.append({"user": USER, "text": text, "ts": payloads.new_ts()})
        self.api.add_thread(CHANNEL, self.thread_ts, [
            {"user": USER, "text": "(errcode console session)", "ts": self.thread_ts},
            *self.thread])

    def escalate(self) -> None:
        if not self.thread:
            self.out.write("(paste the thread's messages first: every paste of this session "
                           "is a message of the thread that gets escalated)\n")
            return
        event = payloads.app_mention_event("escalate", user=USER, channel=CHANNEL,
                                           thread_ts=self.thread_ts)
        self._send(payloads.event_callback(event))

    def press(self, number: int) -> None:
        if self.origin is None or not 1 <= number <= len(self.origin.buttons):
            self.out.write("(no such button)\n")
            return
        b = self.origin.buttons[number - 1]
        self._send(payloads.block_actions(
            b.action_id, b.value, block_id=b.block_id, channel_id=CHANNEL, user_id=USER,
            message_ts=self.origin.message_ts, is_ephemeral=self.origin.ephemeral,
            response_url=self._response_url(), button_text=b.label))

    def _response_url(self) -> str:
        self._n += 1
        return self.api.response_url(f"console{self._n}")

    def _send(self, req: payloads.SlackRequest) -> None:
        before = len(self.api.calls)
        headers = payloads.signed_headers(self.secret, req)
        response = self.app.dispatch(BoltRequest(body=req.body, headers=headers))
        if response.status != 200:
            self.out.write(f"(the app answered HTTP {response.status})\n")
            return
        self._show(self._wait(before))

    def _wait(self, before: int) -> list:
        """New output calls: wait for the first, then briefly for any that follow."""
        deadline = time.monotonic() + self.timeout_s
        seen: list = []
        quiet_since = None
        while time.monotonic() < deadline:
            seen = [c for c in self.api.calls[before:] if c.method in OUTPUT_METHODS]
            if seen:
                quiet_since = quiet_since or time.monotonic()
                if time.monotonic() - quiet_since > 0.15:
                    break
            time.sleep(0.01)
        return seen

    def _show(self, calls: list) -> None:
        if not calls:
            self.out.write("(no answer within the timeout)\n")
            return
        for call in calls:
            p = call.params
            if call.method == "response_url" and p.get("delete_original"):
                self.out.write("(the private answer was removed)\n")
                continue
            if call.method == "files.completeUploadExternal":
                self._show_files(p)
                continue
            rendered = blocks_to_text(_json_list(p.get("blocks")), p.get("text") or "")
            where = _where(call.method, p)
            self.out.write(f"\n[{where}]\n{rendered.text}\n")
            if rendered.buttons:
                ephemeral = call.method in ("response_url", "chat.postEphemeral")
                self.origin = Origin(ephemeral, p.get("ts") or payloads.new_ts(),
                                     rendered.buttons)
        self.out.flush()


    def _show_files(self, p: dict) -> None:
        self.out.write(f"\n[uploaded to the thread] {p.get('initial_comment') or ''}\n")
        for item in _json_list(p.get("files")) or []:
            upload = self.api.uploads.get(item.get("id", ""))
            if upload is None or upload.content is None:
                continue
            self.out.write(f"--- {upload.filename} ({len(upload.content)} bytes)\n")
            if upload.filename.endswith(".md"):
                self.out.write(upload.content.decode("utf-8", "replace"))


def _where(method: str, p: dict) -> str:
    if method == "response_url":
        return "only you can see this" if p.get("response_type", "ephemeral") == "ephemeral" \
            else "posted in the channel"
    if method == "chat.postEphemeral":
        return "only you can see this"
    if method == "chat.postMessage":
        return f"posted in {p.get('channel')}" + (" (in thread)" if p.get("thread_ts") else "")
    return method


def _json_list(value: object) -> list[dict] | None:
    if isinstance(value, list):
        return value
    if isinstance(value, str) and value.startswith("["):
        import json

        return json.loads(value)
    return None


def read_inputs(stream: TextIO, out: TextIO, interactive: bool) -> Iterator[str]:
    """Lines, or multi-line pastes between ``\"\"\"`` (or ```) markers."""
    buffer: list[str] | None = None
    marker = ""
    while True:
        if interactive:
            out.write("... " if buffer is not None else "errcode> ")
            out.flush()
        line = stream.readline()
        if not line:
            if buffer:
                yield "\n".join(buffer)
            return
        stripped = line.rstrip("\n")
        if buffer is None and stripped.strip() in PASTE_MARKERS:
            buffer, marker = [], stripped.strip()
            continue
        if buffer is not None:
            if stripped.strip() == marker:
                yield "\n".join(buffer)
                buffer = None
            else:
                buffer.append(stripped)
            continue
        yield stripped


def run_console(settings: Settings, catalog: Catalog, stdin: TextIO | None = None,
                stdout: TextIO | None = None) -> int:
    """Run the console until end of input or `:quit`."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format="%(levelname)s %(name)s %(message)s")
    interactive = stdin.isatty()
    secret = secrets.token_hex(16)
    with LocalSlackAPI() as api, Store(settings.storage_path) as store:
        local = replace(settings, slack=SlackSettings(
            bot_token="xoxb-local-console", signing_secret=secret, api_url=api.base_url,
            listener_threads=4))
        app = build_app(Core.load(local, catalog, store))
        session = ConsoleSession(app, api, secret, stdout)
        if interactive:
            stdout.write(BANNER + "\n")
        for item in read_inputs(stdin, stdout, interactive):
            command = item.strip().lower()
            if command in (":quit", ":q", "exit", "quit"):
                break
            if command in (":help", ":h"):
                stdout.write(BANNER + "\n")
                continue
            session.handle(item)
    return 0

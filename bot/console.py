"""`errcode shell`: the bot in a terminal, a text front door as Errbot's text backend is.

Each question goes through the same calls the Slack listeners make (`bot.answers`,
`bot.escalation.flow`) and the answer is printed as text (the renderers the CLI uses).
No Slack library is loaded. Buttons are numbered: `!2` presses button 2 of the last
answer. What Slack asks in a modal is asked at the prompt; the email draft is printed.
A block pasted at the prompt is one question, as it is in Slack; what Slack tells only
the person who pasted it (how many secrets were hidden from it) is printed as theirs.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TextIO
from urllib.parse import parse_qs, unquote, urlsplit

from bot.answers import (
    Action,
    Answer,
    Asked,
    Offer,
    answer,
    found_in_thread,
    health_answer,
    hidden_note,
    is_escalate,
    record_feedback,
    replay,
)
from bot.catalog.model import Catalog
from bot.catalog.render import catalog_text
from bot.config import DEFAULT_STORAGE, Settings
from bot.core import Core
from bot.escalation.draft import ThreadMessage
from bot.escalation.flow import EscalationResult, Prepared, finish_escalation, prepare_escalation
from bot.health.render import health_text
from bot.store import Store
from bot.triage.engine import Triage
from bot.triage.render import triage_text

PROMPT = "errcode> "
MORE = "... "
PASTE_MARKERS = ('"""', "```")
QUIT = (":quit", ":q", "exit", "quit")
BANNER = """errcode console: the bot's answers in your terminal (no Slack needed).
  type or paste an error      answered as /errcode would (only you see it)
  @errcode <text>             answered as a mention, in the thread
  @errcode escalate           an escalation packet of everything asked so far
  N or !N                     press button N of the last answer
  \"\"\" ... \"\"\"                 a multi-line paste, where the terminal sends it line by line
  :help  :quit"""
PRIVATE, THREAD, CHANNEL = "only you can see this", "in the thread", "posted in the channel"
NOTHING_TO_ESCALATE = ("(paste the thread's messages first: every question of this session "
                       "is a message of the thread that gets escalated)")
_BUTTON = re.compile(r"!(\d+)", re.ASCII)
_MENTION = re.compile(r"@errcode\b", re.IGNORECASE)
_COMMAND = re.compile(r"^/errcode\b")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


def console_store_path(settings: Settings) -> Path:
    """The state file the settings name, else the console's own (never the bot's store)."""
    if settings.storage_path != DEFAULT_STORAGE:
        return settings.storage_path
    return DEFAULT_STORAGE.with_name("console.sqlite3")


def run_console(settings: Settings, catalog: Catalog, stdin: TextIO | None = None,
                stdout: TextIO | None = None) -> int:
    """Answer questions until end of input or `:quit`."""
    stdin = stdin or sys.stdin
    stdout = stdout or sys.stdout
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, force=True,
                        format="%(levelname)s %(name)s %(message)s")
    path = console_store_path(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    with Store(path) as store:
        lines = Lines(stdin, stdout)
        session = Session(Core.load(settings, catalog, store), lines, stdout)
        if lines.interactive:
            stdout.write(BANNER + "\n")
        while (item := lines.read(PROMPT)) is not None:
            command = item.strip().lower()
            if command in QUIT:
                break
            if command in (":help", ":h"):
                stdout.write(BANNER + "\n")
                continue
            session.handle(item)
    return 0


class Lines:
    """What the person types: one question per Enter, a paste as one question.

    In a terminal, readline takes a pasted block whole (bracketed paste) and Enter sends
    it, as in Slack; a block between `\"\"\"` (or ```) lines works everywhere, pipes too.
    """

    def __init__(self, stdin: TextIO, out: TextIO) -> None:
        self.stdin, self.out = stdin, out
        self.interactive = stdin is sys.stdin and stdin.isatty() and out.isatty()
        if self.interactive:
            import readline  # noqa: F401  (line editing, history, bracketed paste for input())

    def read(self, prompt: str) -> str | None:
        """The next question; None at end of input."""
        line = self._line(prompt)
        if line is None or line.strip() not in PASTE_MARKERS:
            return line
        marker, block = line.strip(), []
        while (more := self._line(MORE)) is not None and more.strip() != marker:
            block.append(more)
        return "\n".join(block)

    def ask(self, question: str) -> str:
        """An answer to one question of a form; empty to skip."""
        if not self.interactive:
            self.out.write(question + "\n")
        return (self.read(question) or "").strip()

    def _line(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                self.out.write("\n")
                return None
            except KeyboardInterrupt:  # Ctrl-C drops the line, as in a shell
                self.out.write("\n")
                return ""
        line = self.stdin.readline()
        return line.rstrip("\n") if line else None


@dataclass(frozen=True)
class Button:
    label: str
    press: Callable[[], None]


class Session:
    """One person's conversation: its questions form the thread an escalation reads."""

    def __init__(self, core: Core, lines: Lines, out: TextIO) -> None:
        self.core, self.lines, self.out = core, lines, out
        self.user = os.environ.get("USER") or "console"
        self.thread_key = f"console:{uuid.uuid4().hex[:12]}"
        self.thread: list[ThreadMessage] = []
        self.buttons: tuple[Button, ...] = ()

    def handle(self, line: str) -> None:
        text = line.strip()
        if not text:
            return
        if pressed := _BUTTON.fullmatch(text):
            self.press(int(pressed.group(1)))
        elif text.isdecimal() and 1 <= int(text) <= len(self.buttons):
            self.press(int(text))  # a bare "2" after an answer: no error is a lone digit
        elif mention := _MENTION.match(text):
            asked = text[mention.end():].strip()
            if is_escalate(asked):
                self.escalate()
            else:
                self.ask(asked, private=False)
        else:
            self.ask(_COMMAND.sub("", text, count=1).strip(), private=True)

    def ask(self, text: str, *, private: bool) -> None:
        """A question, answered privately (as /errcode) or in the thread (as a mention).

        Every paste that gets triaged is also a message of the session's thread."""
        asked = Asked(text=text, user=self.user, surface="console", ephemeral=private)
        said = answer(self.core, asked)
        if said.kind == "triage":
            self.thread.append(ThreadMessage(ts=f"{time.time():.6f}", user=self.user,
                                             text=text))
        self.show(said, PRIVATE if private else THREAD)

    def press(self, number: int) -> None:
        if not 1 <= number <= len(self.buttons):
            self.out.write("(no such button)\n")
            return
        self.buttons[number - 1].press()

    # ------------------------------------------------------------------ showing

    def show(self, shown: Answer, where: str) -> None:
        """The answer, and what Slack tells only the paster about secrets hidden from the
        paste: on top of an answer only they see, else as a note of its own after it."""
        text = answer_text(shown, self.core.catalog).rstrip()
        note = paster_note(shown)
        if note and shown.ephemeral:
            text = f"{note}\n\n{text}"
        self.out.write(f"\n[{where}]\n{text}\n")
        if shown.offers:
            self.offer(tuple(Button(o.label, self._action(o, where)) for o in shown.offers))
        if note and not shown.ephemeral:
            self.out.write(f"\n[{PRIVATE}]\n{note}\n")
        self.out.flush()

    def offer(self, buttons: tuple[Button, ...]) -> None:
        """Number the buttons; `!N` presses one until the next answer with buttons."""
        self.buttons = buttons
        self.out.write("Buttons: " + "  ".join(
            f"[{n}] {b.label}" for n, b in enumerate(buttons, 1)) + "\n")

    def _action(self, offer: Offer, where: str) -> Callable[[], None]:
        core, user, private = self.core, self.user, where == PRIVATE
        if offer.action is Action.SHARE:
            return lambda: self._replayed(replay(core, offer.value, user=user, channel=None,
                                                 shared=True), CHANNEL,
                                          "(the private answer was removed)")
        if offer.action is Action.OTHERS:
            return lambda: self._replayed(replay(core, offer.value, user=user, channel=None,
                                                 show_others=True, offer_share=private), where)
        if offer.action is Action.HEALTH:
            product = offer.value.partition("|")[2] or None
            return lambda: self.show(health_answer(core, [], user=user, channel=None,
                                                   product=product), where)
        if offer.action is Action.ESCALATE:
            return self.escalate
        helpful = offer.action is Action.HELPFUL
        return lambda: self.show(record_feedback(core, offer.value, helpful=helpful,
                                                 user=user), PRIVATE)

    def _replayed(self, again: Answer | None, where: str, before: str = "") -> None:
        if again is None:
            self.out.write("(that answer has expired: ask again)\n")
            return
        if before:
            self.out.write(before + "\n")
        self.show(again, where)

    # ------------------------------------------------------------------ escalation

    def escalate(self) -> None:
        """Everything asked so far, as the thread of an escalation packet."""
        if not self.thread:
            self.out.write(NOTHING_TO_ESCALATE + "\n")
            return
        prepared = prepare_escalation(self.core, self.thread, thread_key=self.thread_key)
        missing = prepared.draft.missing
        if not missing:
            self.finish(prepared, {})
            return
        self.out.write(f"\n[{PRIVATE}]\nEscalation of this session\n"
                       f"{found_in_thread(prepared.draft)}\n"
                       f"Still needed: {', '.join(item.label for item in missing)}\n")
        self.offer((Button("Complete escalation", lambda: self.complete(prepared)),
                    Button("Escalate as is", lambda: self.finish(prepared, {}))))

    def complete(self, prepared: Prepared) -> None:
        """What Slack asks in a modal, asked here one item at a time."""
        self.out.write("Everything you enter is redacted of secrets before it is stored. "
                       "Enter skips an item; :quit cancels.\n")
        answers = {}
        for item in prepared.draft.missing:
            value = self.lines.ask(f"{item.label}: ")
            if value.lower() in QUIT:
                self.out.write("(escalation cancelled: nothing was stored)\n")
                return
            if value:
                answers[item.key] = value
        self.finish(prepared, answers)

    def finish(self, prepared: Prepared, answers: dict[str, str]) -> None:
        result = finish_escalation(self.core, self.thread, thread_key=self.thread_key,
                                   thread=self.thread_key, channel=None, user=self.user,
                                   answers=answers, prepared=prepared)
        self.buttons = ()
        self.out.write(escalation_text(result))
        self.out.flush()


# --------------------------------------------------------------------------- text


def answer_text(shown: Answer, catalog: Catalog) -> str:
    """An answer as the terminal shows it: the CLI's renderers, notes without markup."""
    if shown.kind == "list":
        return catalog_text(catalog, shown.product)
    if shown.kind == "health" and shown.health is not None:
        return health_text(shown.health)
    if shown.kind == "triage" and shown.triage is not None:
        shared = f"Shared by {shown.shared_by}\n" if shown.shared_by else ""
        return shared + _triage_text(shown.triage, catalog, shown.show_others)
    return _BOLD.sub(r"\1", shown.note)


def paster_note(shown: Answer) -> str:
    """The note Slack gives the person whose paste had secrets hidden (`hidden_note`, as
    bot.slack.replies chooses it): "" when none were. A private answer was not posted;
    one in the thread was, so it is worth deleting."""
    if not shown.hidden:
        return ""
    return hidden_note(shown.hidden, posted=None) if shown.ephemeral else hidden_note(
        shown.hidden)


def _triage_text(t: Triage, catalog: Catalog, show_others: bool) -> str:
    if not (show_others and t.others and t.confident):
        return triage_text(t, catalog.products)
    out = [triage_text(replace(t, findings=t.confident), catalog.products).rstrip(),
           "", "Other candidates (not confident):"]
    quiet = replace(t.evidence, request_ids=(), truncated=False)
    for f in t.others:
        alone = replace(t, findings=(replace(f, confident=True),), ambiguous=False,
                        evidence=quiet)
        out.append(triage_text(alone, catalog.products).rstrip())
    return "\n".join(out) + "\n"


def escalation_text(result: EscalationResult) -> str:
    """The packet as Slack would upload it, then what Slack tells only the person escalating."""
    rec = result.record
    out = [f"\n[the packet, {rec.id} version {rec.version}]", rec.markdown.rstrip(), "",
           f"[{PRIVATE}]", result.summary, result.private_note,
           f"`errcode escalations show {rec.id}` prints it again."]
    if result.email:
        out += ["", "Email draft:", email_text(result.email)]
    return "\n".join(out) + "\n"


def email_text(mailto: str) -> str:
    """A mailto: draft as the mail it opens: To, Subject, then the body."""
    parts = urlsplit(mailto)
    query = parse_qs(parts.query)
    subject = query.get("subject", [""])[0]
    body = query.get("body", [""])[0]
    return f"To: {unquote(parts.path)}\nSubject: {subject}\n\n{body.rstrip()}"

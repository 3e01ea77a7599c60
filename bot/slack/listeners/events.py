"""Events beyond a plain mention or DM: Slack's rate-limit notice, files shared with a
question, and anything else Slack sends, so no event is ever answered with a 404.

Slack may turn off event delivery to an app that fails its events, so every one gets a
200. A file shared in a DM or with a mention is read the way escalation reads a thread's
files (text files and snippets only, from Slack's own host, with the bot token) and
triaged with the message's text; an image gets a short note that text is needed.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.blocks import Reply, context, escape, text_reply
from bot.slack.threads import file_text

log = logging.getLogger("errcode.slack")

MAX_FILES = 10  # per message; Slack allows 10 files on one message

IMAGES_ONLY = ("I can't read images. Paste the error as text, or share the log as a text "
               "file or snippet, and I'll look it up.")
_IMAGE_NOTE = "_I can't read {names}: paste {it} as text to have {it} checked too._"


class AppRateLimited(Middleware):
    """Slack is dropping our events for a minute (over 30,000 an hour): it wants a 200.
    Runs right after the signature check (it needs no authorization)."""

    def process(self, *, req: BoltRequest, resp: BoltResponse,
                next: Callable[[], BoltResponse]) -> BoltResponse | None:
        body = req.body
        if isinstance(body, dict) and body.get("type") == "app_rate_limited":
            log.warning("event=app_rate_limited team=%s minute_rate_limited=%s",
                        body.get("team_id"), body.get("minute_rate_limited"))
            return BoltResponse(status=200, body="")
        return next()


def on_other_event(event: dict) -> None:
    """An event with no listener of its own (a subscription added later): a 200, a log line."""
    log.info("event=event_ignored type=%s subtype=%s", event.get("type"), event.get("subtype"))


@dataclass(frozen=True)
class SharedFiles:
    """What the files of one message gave: their texts, and the names of those unread
    (images, PDFs, anything not text)."""

    texts: tuple[str, ...] = ()
    unread: tuple[str, ...] = ()

    def with_text(self, text: str) -> str:
        return "\n\n".join(t for t in (text.strip(), *self.texts) if t)

    def note_on(self, reply: Reply) -> Reply:
        """The answer, with a line saying which files were not read."""
        if not self.unread:
            return reply
        names = ", ".join(f"`{escape(n)}`" for n in self.unread[:5])
        it = "it" if len(self.unread) == 1 else "them"
        note = context(_IMAGE_NOTE.format(names=names, it=it))
        return Reply(text=reply.text, blocks=[note, *reply.blocks],
                     private_note=reply.private_note)


def read_files(client: WebClient, files: list[dict]) -> SharedFiles:
    """The text of each text file or snippet; the others (images...) by name."""
    texts: list[str] = []
    unread: list[str] = []
    for f in files[:MAX_FILES]:
        f = _complete(client, f)
        got = file_text(client, f)
        if got is not None:
            texts.append(got[1])
        else:
            unread.append(str(f.get("name") or f.get("title") or f.get("id") or "file"))
    return SharedFiles(tuple(texts), tuple(unread))


def images_only(files: SharedFiles, text: str) -> Reply | None:
    """Nothing to read but images: the note alone, instead of a no-match answer."""
    if files.unread and not files.texts and not text.strip():
        return text_reply(IMAGES_ONLY)
    return None


def _complete(client: WebClient, f: dict) -> dict:
    """Events may carry only a file's id (`file_access: check_file_info`): ask files.info."""
    if f.get("url_private") or not f.get("id"):
        return f
    try:
        return dict(client.files_info(file=f["id"]).get("file") or f)
    except SlackApiError as err:
        log.warning("event=file_info_failed file=%s error=%s", f.get("id"),
                    err.response.get("error"))
        return f


def _is_text(f: dict) -> bool:
    return str(f.get("mimetype") or "").startswith("text/") or f.get("mode") == "snippet"

"""A Slack thread read into `ThreadMessage`s: every page, and the text files shared in it.

Escalation works on whole threads; this is the only place that reads one from Slack.
Files are fetched only from Slack's own file host, with the bot token.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx
from slack_sdk import WebClient

from bot.escalation.draft import ThreadMessage

log = logging.getLogger("errcode.escalate")

MAX_MESSAGES = 2_000
MAX_FILE_BYTES = 1_000_000
TEXT_FILETYPES = {"text", "txt", "log", "json", "yaml", "yml", "csv", "markdown", "md", "xml",
                  "javascript", "python", "shell", "sql", "diff", "html", "plain"}


@dataclass(frozen=True)
class ThreadRef:
    """A thread by channel and parent ts; `key` names it in the store and in button values."""

    channel: str
    thread_ts: str

    @property
    def key(self) -> str:
        return f"{self.channel}:{self.thread_ts}"

    @classmethod
    def parse(cls, key: str) -> ThreadRef | None:
        channel, _, ts = key.partition(":")
        return cls(channel, ts) if channel and ts else None


def read_thread(client: WebClient, ref: ThreadRef, bot_user: str | None = None
                ) -> list[ThreadMessage]:
    """Every message of the thread (paginated) with its shared text files; not the bot's own."""
    out: list[ThreadMessage] = []
    cursor: str | None = None
    while len(out) < MAX_MESSAGES:
        page = client.conversations_replies(channel=ref.channel, ts=ref.thread_ts, limit=200,
                                            cursor=cursor)
        for m in list(page.get("messages") or []):
            if m.get("bot_id") and (m.get("user") in (None, bot_user)):
                continue  # our own answers would be counted twice
            files = tuple(f for f in (file_text(client, f) for f in m.get("files") or []) if f)
            out.append(ThreadMessage(ts=str(m.get("ts", "")), user=m.get("user"),
                                     text=m.get("text") or "", files=files))
        cursor = (page.get("response_metadata") or {}).get("next_cursor") or None
        if not cursor:
            break
    return out


def file_text(client: WebClient, f: dict) -> tuple[str, str] | None:
    """A shared snippet or text file's content, fetched only from Slack's own file host."""
    name = f.get("name") or f.get("title") or f.get("id") or "file"
    kind = str(f.get("filetype") or "").lower()
    mimetype = str(f.get("mimetype") or "")
    if kind not in TEXT_FILETYPES and not mimetype.startswith("text/"):
        return None
    if int(f.get("size") or 0) > MAX_FILE_BYTES:
        return (name, f"[file of {f.get('size')} bytes not read: over the 1 MB limit]")
    url = f.get("url_private_download") or f.get("url_private")
    if not url or not _slack_host(url, client.base_url):
        return None
    try:
        resp = httpx.get(url, headers={"Authorization": f"Bearer {client.token}"}, timeout=10,
                         follow_redirects=False)
    except httpx.HTTPError as err:
        log.warning("event=file_read_failed file=%s error=%s", f.get("id"), type(err).__name__)
        return None
    if resp.status_code != 200:
        log.warning("event=file_read_failed file=%s status=%s", f.get("id"), resp.status_code)
        return None
    return (name, resp.content[:MAX_FILE_BYTES].decode("utf-8", errors="replace"))


def _slack_host(url: str, api_url: str) -> bool:
    """Files are fetched from Slack over HTTPS (or the configured API host), never elsewhere."""
    parts, api = urlsplit(url), urlsplit(api_url)
    if (parts.scheme, parts.netloc) == (api.scheme, api.netloc):
        return True
    host = parts.hostname or ""
    return parts.scheme == "https" and (host == "slack.com" or host.endswith(".slack.com"))

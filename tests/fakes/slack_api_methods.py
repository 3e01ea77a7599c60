"""The workspace behind the local Slack Web API stand-in: state plus Slack-shaped answers.

Kept apart from the HTTP plumbing in slack_api.py so each Web API method reads as one small
function returning the JSON Slack would return (field names from Slack's method docs).
Only the methods errcode calls are here: auth.test (bolt, once), chat.postMessage,
chat.postEphemeral, chat.getPermalink, conversations.replies, views.open, views.update,
files.info and the two steps of files_upload_v2 (apps.connections.open: slack_socket.py).
"""

from __future__ import annotations

import base64
import binascii
import itertools
import json
import mimetypes
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.slack_payloads import (
    APP_ID,
    BOT_ID,
    BOT_NAME,
    BOT_USER_ID,
    TEAM_DOMAIN,
    TEAM_ID,
)

Params = dict[str, Any]
Answer = dict[str, Any]

WORKSPACE_URL = f"https://{TEAM_DOMAIN}.slack.com/"
_TS_BASE = 1714478400  # 2024-04-30T12:00:00Z: fixed so recorded ts values are predictable
_DEFAULT_REPLIES_LIMIT = 1000
_FILETYPES = {"txt": "text", "log": "text", "md": "markdown", "json": "json", "yml": "yaml",
              "yaml": "yaml", "csv": "csv", "png": "png", "pdf": "pdf"}


@dataclass
class UploadedFile:
    """A file going through files.getUploadURLExternal -> upload URL -> completeUploadExternal."""

    file_id: str
    filename: str
    length: int
    title: str | None = None
    content: bytes | None = None
    completed: bool = False
    completion: Params = field(default_factory=dict)  # params of files.completeUploadExternal

    @property
    def channel_id(self) -> str | None:
        return self.completion.get("channel_id")

    @property
    def thread_ts(self) -> str | None:
        return self.completion.get("thread_ts")

    @property
    def initial_comment(self) -> str | None:
        return self.completion.get("initial_comment")


@dataclass(frozen=True)
class HostedFile:
    """A file Slack hosts (add_file or a completed upload): files.info and url_private serve it."""

    file_id: str
    name: str
    content: bytes
    filetype: str = "text"
    title: str | None = None

    @property
    def mimetype(self) -> str:
        if self.filetype in ("text", "markdown"):
            return "text/plain" if self.filetype == "text" else "text/markdown"
        return mimetypes.guess_type(self.name)[0] or "application/octet-stream"


def json_param(value: Any) -> Any:
    """Slack accepts structured arguments as JSON strings in form bodies; decode those."""
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _error(error: str, missing: str | None = None) -> Answer:
    answer: Answer = {"ok": False, "error": error}
    if missing is not None:
        answer["response_metadata"] = {"messages": [f"[ERROR] missing required field: {missing}"]}
    return answer


def _cursor_for(ts: str) -> str:
    return base64.b64encode(f"next_ts:{ts.replace('.', '')}".encode()).decode()


class LocalWorkspace:
    """Threads, files, uploads and views of the local workspace, answering Web API methods."""

    def __init__(self, *, keep_threads: bool = False) -> None:
        self.root_url = "http://127.0.0.1/"  # replaced by the server's address once bound
        # keep_threads: a reply to a thread never registered starts it, so
        # conversations.replies shows what the bot posted under any message.
        self.keep_threads = keep_threads
        self.uploads: dict[str, UploadedFile] = {}
        self.files: dict[str, HostedFile] = {}
        self._threads: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self._lock = threading.RLock()
        self._ts = itertools.count(100, 100)
        self._ids = itertools.count(1)
        self.methods: dict[str, Callable[[Params], Answer]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.chat_post_message,
            "chat.postEphemeral": self.chat_post_ephemeral,
            "chat.getPermalink": self.chat_get_permalink,
            "conversations.replies": self.conversations_replies,
            "views.open": lambda p: self._view(p, require_trigger=True),
            "views.update": lambda p: self._view(p, require_trigger=False),
            "files.info": self.files_info,
            "files.getUploadURLExternal": self.files_get_upload_url_external,
            "files.completeUploadExternal": self.files_complete_upload_external,
        }

    # ------------------------------------------------------------------ ids and state

    def next_ts(self) -> str:
        n = next(self._ts)
        return f"{_TS_BASE + n // 1_000_000}.{n % 1_000_000:06d}"

    def _next_id(self, prefix: str) -> str:
        return f"{prefix}0LOCAL{next(self._ids):04d}"

    def add_thread(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """Register a thread for conversations.replies; missing type/ts/thread_ts are filled in."""
        filled = []
        for i, msg in enumerate(messages):
            m = {"type": "message", **msg}
            m.setdefault("ts", thread_ts if i == 0 else f"{float(thread_ts) + i / 10_000:.6f}")
            m.setdefault("thread_ts", thread_ts)
            filled.append(m)
        with self._lock:
            self._threads[(channel, thread_ts)] = filled

    def add_file(self, file_id: str, name: str, content: bytes, filetype: str = "text") -> None:
        with self._lock:
            self.files[file_id] = HostedFile(file_id, name, content, filetype, name)

    def _append_to_thread(self, channel: str | None, thread_ts: str | None, msg: dict) -> None:
        with self._lock:
            key = (channel or "", thread_ts or "")
            thread = self._threads.get(key)
            if thread is None and self.keep_threads and thread_ts:
                thread = self._threads[key] = []
            if thread is not None:
                thread.append(msg)

    # ------------------------------------------------------------------ auth and chat

    def auth_test(self, p: Params) -> Answer:
        return {
            "ok": True,
            "url": WORKSPACE_URL,
            "team": "Example",
            "user": BOT_NAME,
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _bot_message(self, p: Params, ts: str) -> dict[str, Any]:
        msg: dict[str, Any] = {
            "user": BOT_USER_ID,
            "type": "message",
            "ts": ts,
            "bot_id": BOT_ID,
            "app_id": APP_ID,
            "text": p.get("text") or "",
            "team": TEAM_ID,
        }
        for key in ("blocks", "attachments", "metadata"):
            if p.get(key):
                msg[key] = json_param(p[key])
        if p.get("thread_ts"):
            msg["thread_ts"] = p["thread_ts"]
        return msg

    def chat_post_message(self, p: Params) -> Answer:
        if not p.get("channel"):
            return _error("channel_not_found")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return _error("no_text")
        ts = self.next_ts()
        msg = self._bot_message(p, ts)
        self._append_to_thread(p["channel"], p.get("thread_ts"), msg)
        return {"ok": True, "channel": p["channel"], "ts": ts, "message": msg}

    def chat_post_ephemeral(self, p: Params) -> Answer:
        if not p.get("channel"):
            return _error("channel_not_found")
        if not p.get("user"):
            return _error("user_not_found")
        if not (p.get("text") or p.get("blocks") or p.get("attachments")):
            return _error("no_text")
        return {"ok": True, "message_ts": self.next_ts()}

    def chat_get_permalink(self, p: Params) -> Answer:
        channel, ts = p.get("channel"), p.get("message_ts")
        if not channel:
            return _error("channel_not_found")
        if not ts:
            return _error("message_not_found")
        link = f"{WORKSPACE_URL}archives/{channel}/p{str(ts).replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    # ------------------------------------------------------------------ conversations

    def conversations_replies(self, p: Params) -> Answer:
        key = (p.get("channel") or "", p.get("ts") or "")
        if not key[0]:
            return _error("channel_not_found")
        if not key[1]:
            return _error("invalid_arguments", missing="ts")
        with self._lock:
            messages = list(self._threads.get(key, []))
        if not messages:
            return _error("thread_not_found")
        start = 0
        if p.get("cursor"):
            try:
                wanted = base64.b64decode(str(p["cursor"]), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                return _error("invalid_cursor")
            stamps = [f"next_ts:{m['ts'].replace('.', '')}" for m in messages]
            if wanted not in stamps:
                return _error("invalid_cursor")
            start = stamps.index(wanted)
        limit = max(1, int(p.get("limit") or _DEFAULT_REPLIES_LIMIT))
        page = messages[start : start + limit]
        has_more = start + limit < len(messages)
        next_cursor = _cursor_for(messages[start + limit]["ts"]) if has_more else ""
        return {
            "ok": True,
            "messages": page,
            "has_more": has_more,
            "response_metadata": {"next_cursor": next_cursor},
        }

    # ------------------------------------------------------------------ views

    def _view(self, p: Params, *, require_trigger: bool) -> Answer:
        if require_trigger and not p.get("trigger_id"):
            return _error("invalid_arguments", missing="trigger_id")
        view = json_param(p.get("view"))
        if not isinstance(view, dict):
            return _error("invalid_arguments", missing="view")
        view_id = p.get("view_id") or self._next_id("V")
        echo = {
            "id": view_id, "team_id": TEAM_ID, "type": "modal", "blocks": [],
            "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "hash": f"{int(time.time())}.{view_id}", "clear_on_close": False,
            "notify_on_close": False, "close": None, "submit": None,
            "previous_view_id": None, "root_view_id": view_id, "app_id": APP_ID,
            "external_id": p.get("external_id") or "", "app_installed_team_id": TEAM_ID,
            "bot_id": BOT_ID,
        }
        echo.update(view)
        echo["id"] = view_id
        return {"ok": True, "view": echo}

    # ------------------------------------------------------------------ files

    def file_object(self, f: HostedFile) -> dict[str, Any]:
        url = f"{self.root_url}files/{f.file_id}"
        return {
            "id": f.file_id, "created": _TS_BASE, "timestamp": _TS_BASE, "name": f.name,
            "title": f.title or f.name, "mimetype": f.mimetype, "filetype": f.filetype,
            "pretty_type": f.filetype.capitalize(), "user": BOT_USER_ID, "user_team": TEAM_ID,
            "editable": f.filetype == "text", "size": len(f.content),
            "mode": "snippet" if f.filetype == "text" else "hosted", "is_external": False,
            "external_type": "", "is_public": False, "public_url_shared": False,
            "url_private": url, "url_private_download": f"{url}?download=1",
            "permalink": f"{WORKSPACE_URL}files/{BOT_USER_ID}/{f.file_id}/{f.name}",
            "comments_count": 0, "shares": {}, "channels": [], "groups": [], "ims": [],
        }

    def files_info(self, p: Params) -> Answer:
        hosted = self.files.get(str(p.get("file") or ""))
        if hosted is None:
            return _error("file_not_found")
        return {"ok": True, "file": self.file_object(hosted), "comments": [],
                "response_metadata": {"next_cursor": ""}}

    def files_get_upload_url_external(self, p: Params) -> Answer:
        if not p.get("filename"):
            return _error("invalid_arguments", missing="filename")
        if not str(p.get("length") or "").isdigit():
            return _error("invalid_arguments", missing="length")
        file_id = self._next_id("F")
        with self._lock:
            self.uploads[file_id] = UploadedFile(file_id, p["filename"], int(p["length"]))
        return {"ok": True, "upload_url": f"{self.root_url}upload/{file_id}", "file_id": file_id}

    def receive_upload(self, file_id: str, content: bytes) -> bool:
        """Store bytes posted to an upload URL; False when the URL was never issued."""
        with self._lock:
            upload = self.uploads.get(file_id)
            if upload is None:
                return False
            upload.content = content
            return True

    def files_complete_upload_external(self, p: Params) -> Answer:
        wanted = json_param(p.get("files"))
        if not isinstance(wanted, list) or not wanted:
            return _error("invalid_arguments", missing="files")
        completion = {k: json_param(v) for k, v in p.items() if k not in ("files", "token")}
        done = []
        with self._lock:
            for item in wanted:
                upload = self.uploads.get(item.get("id", ""))
                if upload is None or upload.content is None:
                    return _error("file_not_found")
            for item in wanted:
                upload = self.uploads[item["id"]]
                upload.title = item.get("title") or upload.title or upload.filename
                upload.completed = True
                upload.completion = completion
                filetype = _FILETYPES.get(upload.filename.rsplit(".", 1)[-1].lower(), "binary")
                hosted = HostedFile(upload.file_id, upload.filename, upload.content or b"",
                                    filetype, upload.title)
                self.files[upload.file_id] = hosted
                done.append(self.file_object(hosted))
        if p.get("thread_ts"):
            msg = self._bot_message({"text": p.get("initial_comment") or "",
                                     "thread_ts": p["thread_ts"]}, self.next_ts())
            msg["files"] = done
            self._append_to_thread(p.get("channel_id"), p["thread_ts"], msg)
        return {"ok": True, "files": done}

    def uploaded_files(self) -> list[UploadedFile]:
        with self._lock:
            return [u for u in self.uploads.values() if u.completed]

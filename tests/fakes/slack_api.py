"""A local stand-in for Slack's Web API: a real HTTP server on 127.0.0.1 that records every call.

End-to-end tests and bench/bench_ack.py point the real bolt app's WebClient at
`LocalSlackAPI().base_url`; the bot's outgoing calls (and its `respond()` posts to a
response_url) land here, are answered with Slack-shaped JSON, and can be asserted on.
Faults (`fail_next`, `rate_limit_next`) let tests drive the bot's error paths. Only the
Web API methods the bot calls are implemented (slack_api_methods.py); any other answers
`unknown_method`, as Slack does.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tests.fakes.slack_api_methods import LocalWorkspace, UploadedFile, json_param
from tests.fakes.slack_http import (
    QuietServer,
    Reply,
    Request,
    handler_for,
    multipart_fields,
    parse_params,
)

if TYPE_CHECKING:
    from types import TracebackType

    from slack_sdk import WebClient

__all__ = ["APP_TOKEN", "BOT_TOKEN", "LocalSlackAPI", "RecordedCall", "UploadedFile"]

BOT_TOKEN = "xoxb-local-token"
APP_TOKEN = "xapp-1-A0APP-1-local"  # the one app-level token apps.connections.open accepts
BOT_SCOPES = ("app_mentions:read,channels:history,chat:write,commands,files:read,files:write,"
              "groups:history,im:history,mpim:history")
SIGN_IN_PAGE = b"<!DOCTYPE html><html><head><title>Slack</title></head><body>Sign in</body></html>"


@dataclass(frozen=True)
class RecordedCall:
    """One request the stand-in received; `headers` keys are lower-case."""

    method: str
    params: dict[str, Any]
    headers: dict[str, str]
    body: bytes
    at: float
    peer: str = ""  # the client's host:port: one per connection, so reuse shows

    def param_json(self, name: str, default: Any = None) -> Any:
        """A parameter with JSON-string values (form-encoded blocks, files, view) decoded."""
        return json_param(self.params.get(name, default))


@dataclass(frozen=True)
class _Fault:
    error: str
    retry_after: int | None  # None: an ok:false answer; a number: HTTP 429


class LocalSlackAPI:
    """Slack's Web API, file hosting and response_url endpoints, on an ephemeral local port."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, *,
                 response_delay_s: float = 0.0, method_delay_s: dict[str, float] | None = None,
                 keep_threads: bool = False) -> None:
        self._address = (host, port)
        # Slack's round trip on response_url posts (bench/bench_answers.py: 0 and 100 ms).
        self.response_delay_s = response_delay_s
        # Web API methods answered this much later, after they took effect (a post is in
        # its thread, recorded, before the answer leaves): Slack slow to answer.
        self.method_delay_s = dict(method_delay_s or {})
        self._holds: dict[str, threading.Event] = {}
        self._method_holds: dict[str, threading.Event] = {}
        self._server: QuietServer | None = None
        self._thread: threading.Thread | None = None
        self._calls: list[RecordedCall] = []
        self._arrived = threading.Condition()
        self._faults: dict[str, deque[_Fault]] = {}
        self._faults_lock = threading.Lock()
        self.workspace = LocalWorkspace(keep_threads=keep_threads)
        self.uploads: dict[str, UploadedFile] = self.workspace.uploads
        self.errors: list[str] = []  # tracebacks of handler crashes (answered with HTTP 500)

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalSlackAPI:
        """Bind and serve in a daemon thread; idempotent."""
        if self._server is not None:
            return self
        server = QuietServer(self._address, handler_for(self._handle, self.errors,
                                                         "LocalSlackAPI", BOT_SCOPES))
        server.daemon_threads = True
        self._server = server
        self.workspace.root_url = self.url
        self._thread = threading.Thread(target=server.serve_forever, name="local-slack-api",
                                        kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; idempotent."""
        self.release()
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalSlackAPI:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    @property
    def url(self) -> str:
        """Root URL of the server, "http://127.0.0.1:PORT/"."""
        if self._server is None:
            raise RuntimeError("LocalSlackAPI is not started; call start() or use `with`")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/"

    @property
    def base_url(self) -> str:
        """What `WebClient(base_url=...)` expects: the method name is appended to it."""
        return self.url + "api/"

    def client(self, token: str = BOT_TOKEN, **kwargs: Any) -> WebClient:
        """A real slack_sdk WebClient pointed at this server."""
        from slack_sdk import WebClient

        return WebClient(token=token, base_url=self.base_url, **kwargs)

    def hold(self, name: str) -> None:
        """Posts to response_url `name` get no answer until `release()`: Slack being slow."""
        self._holds[name] = threading.Event()

    def release(self, name: str | None = None) -> None:
        """Answer the held posts to `name` (all held names and methods when None)."""
        for held_name, event in list(self._holds.items()):
            if name in (None, held_name):
                event.set()
        for method, event in list(self._method_holds.items()):
            if name in (None, method):
                event.set()
                del self._method_holds[method]

    def hold_method(self, method: str) -> None:
        """Calls to Web API `method` take effect (a post is in its thread, recorded) but get
        no answer until `release(method)`: Slack slow to answer."""
        self._method_holds[method] = threading.Event()

    def response_url(self, name: str = "r1") -> str:
        """A response_url whose POSTs are recorded as method "response_url" with params["_name"]."""
        return f"{self.url}response/{name}"

    # ------------------------------------------------------------------ workspace set-up

    def add_thread(self, channel: str, thread_ts: str, messages: list[dict[str, Any]]) -> None:
        """Register a thread for conversations.replies (parent first); bot replies are appended."""
        self.workspace.add_thread(channel, thread_ts, messages)

    def add_file(self, file_id: str, name: str, content: bytes, filetype: str = "text") -> None:
        """Register a file to be downloaded from its url_private (see `file_url`)."""
        self.workspace.add_file(file_id, name, content, filetype)

    def file_object(self, file_id: str) -> dict[str, Any]:
        """A registered file as Slack puts it in events and files.info (url_private here)."""
        return self.workspace.file_object(self.workspace.files[file_id])

    def file_url(self, file_id: str) -> str:
        """Where a registered or uploaded file is served (its `url_private_download`)."""
        return self.workspace.file_object(self.workspace.files[file_id])["url_private_download"]

    def uploaded_files(self) -> list[UploadedFile]:
        """Uploads that went all the way through files.completeUploadExternal."""
        return self.workspace.uploaded_files()

    # ------------------------------------------------------------------ recorded calls

    @property
    def calls(self) -> list[RecordedCall]:
        """A snapshot of every call so far, in arrival order."""
        with self._arrived:
            return list(self._calls)

    def calls_to(self, method: str) -> list[RecordedCall]:
        with self._arrived:
            return [c for c in self._calls if c.method == method]

    def wait_for(self, method: str, count: int = 1, timeout: float = 5.0) -> list[RecordedCall]:
        """Block until `count` calls to `method` arrived: the bot works after ack()."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                matching = [c for c in self._calls if c.method == method]
                remaining = deadline - time.monotonic()
                if len(matching) >= count or remaining <= 0:
                    break
                self._arrived.wait(remaining)
        if len(matching) < count:
            arrived = [c.method for c in self.calls]
            raise AssertionError(
                f"expected {count} call(s) to {method} within {timeout}s, got {len(matching)}; "
                f"calls that did arrive: {arrived}"
            )
        return matching

    def clear(self) -> None:
        """Forget recorded calls and pending faults (workspace state is kept)."""
        with self._arrived:
            self._calls.clear()
        with self._faults_lock:
            self._faults.clear()

    def _record(self, call: RecordedCall) -> None:
        with self._arrived:
            self._calls.append(call)
            self._arrived.notify_all()

    # ------------------------------------------------------------------ fault injection

    def fail_next(self, method: str, error: str = "not_in_channel", count: int = 1) -> None:
        """The next `count` calls to `method` answer {"ok": false, "error": error}."""
        self._add_fault(method, _Fault(error, None), count)

    def rate_limit_next(self, method: str, retry_after: int = 1, count: int = 1) -> None:
        """The next `count` calls to `method` answer HTTP 429 with a Retry-After header."""
        self._add_fault(method, _Fault("ratelimited", retry_after), count)

    def _add_fault(self, method: str, fault: _Fault, count: int) -> None:
        with self._faults_lock:
            self._faults.setdefault(method, deque()).extend([fault] * count)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._faults_lock:
            pending = self._faults.get(method)
            return pending.popleft() if pending else None

    # ------------------------------------------------------------------ request handling

    def _handle(self, req: Request) -> Reply:
        """Route one request; every request is recorded before it is answered."""
        kind, _, rest = req.path.lstrip("/").partition("/")
        if kind == "api" and rest:
            return self._api_call(rest, req)
        if kind == "response" and rest:
            params = parse_params(req.query, req.content_type, req.body)
            return self._endpoint("response_url", {**params, "_name": rest}, req,
                                  lambda: self._answer_response_url(rest))
        if kind == "upload" and rest and req.verb == "POST":
            return self._endpoint("upload", {"file_id": rest}, req, lambda: self._upload(rest, req))
        if kind == "files" and rest and req.verb == "GET":
            file_id = rest.split("/")[0]
            return self._endpoint("download", {"file_id": file_id}, req,
                                  lambda: self._download(file_id, req))
        return Reply(404, "text/plain", b"not found")

    def _endpoint(self, method: str, params: dict[str, Any], req: Request,
                  answer: Any) -> Reply:
        self._record(RecordedCall(method, params, req.headers, req.body, time.time(), req.peer))
        fault = self._take_fault(method)
        if fault is not None:
            status = 429 if fault.retry_after is not None else 404
            return Reply.json({"ok": False, "error": fault.error}, status, fault.retry_after)
        return answer()

    def _api_call(self, method: str, req: Request) -> Reply:
        try:
            params = parse_params(req.query, req.content_type, req.body)
        except (ValueError, UnicodeDecodeError):
            params = {}
            self._record(RecordedCall(method, params, req.headers, req.body, time.time(), req.peer))
            return Reply.json({"ok": False, "error": "invalid_json"})
        self._record(RecordedCall(method, params, req.headers, req.body, time.time(), req.peer))
        handler = self.workspace.methods.get(method)
        if handler is None:
            return Reply.json({"ok": False, "error": "unknown_method"})
        token = _bearer(req.headers) or params.get("token")
        if not token:
            return Reply.json({"ok": False, "error": "not_authed"})
        app_level = method.startswith("apps.connections.")  # only app-level tokens, xapp-
        if (token != APP_TOKEN) if app_level else not str(token).startswith("xox"):
            return Reply.json({"ok": False, "error": "invalid_auth"})
        fault = self._take_fault(method)
        if fault is not None:
            status = 429 if fault.retry_after is not None else 200
            return Reply.json({"ok": False, "error": fault.error}, status, fault.retry_after)
        answer = handler(params)
        if self.method_delay_s.get(method):
            time.sleep(self.method_delay_s[method])
        held = self._method_holds.get(method)
        if held is not None:
            held.wait(30)
        return Reply.json(answer)

    def _answer_response_url(self, name: str) -> Reply:
        """Slack's round trip, after the post was recorded (`at` is when it reached Slack)."""
        if self.response_delay_s:
            time.sleep(self.response_delay_s)
        held = self._holds.get(name)
        if held is not None:
            held.wait(30)
        return Reply.json({"ok": True})

    def _upload(self, file_id: str, req: Request) -> Reply:
        content = req.body
        if req.content_type.lower().startswith("multipart/form-data"):
            files = [v for v in multipart_fields(req.content_type, req.body).values()
                     if isinstance(v, bytes)]
            content = files[0] if files else b""
        if not self.workspace.receive_upload(file_id, content):
            return Reply(404, "text/plain", b"upload URL not found")
        return Reply(200, "text/plain; charset=utf-8", f"OK - {len(content)}".encode())

    def _download(self, file_id: str, req: Request) -> Reply:
        hosted = self.workspace.files.get(file_id)
        if hosted is None:
            return Reply(404, "text/plain", b"file not found")
        if not (_bearer(req.headers) or "").startswith("xox"):
            # Slack serves its sign-in page, not an error, to unauthenticated url_private fetches.
            return Reply(200, "text/html; charset=utf-8", SIGN_IN_PAGE)
        return Reply(200, hosted.mimetype, hosted.content)


def _bearer(headers: dict[str, str]) -> str | None:
    value = headers.get("authorization", "")
    return value[7:].strip() if value[:7].lower() == "bearer " else None

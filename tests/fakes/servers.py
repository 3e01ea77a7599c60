"""Real HTTP and HTTPS servers on 127.0.0.1 (port 0), for tests and benchmarks.

Each path answers with a configured Reply (status, JSON/HTML/text body, headers, delay,
redirect Location, a huge streamed body) or with a function of the request. Every request
is recorded with its headers, and how many body bytes were actually sent, so a test can
prove what a client sent (an Authorization header) or did not read (the rest of 20 MB).

    with LocalServer() as server:
        server.route("/api/v1/health", Reply.json({"status": "ok"}))
        httpx.get(server.url + "/api/v1/health")
        assert server.requests_to("/api/v1/health")[0].headers["accept"] == "*/*"
"""

from __future__ import annotations

import json
import socket
import ssl
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

_FILLER = b"x" * 65536


@dataclass(frozen=True)
class Reply:
    """What a path answers. body_size streams that many filler bytes instead of `body`."""

    status: int = 200
    body: bytes | str | dict | list | None = None
    content_type: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    body_size: int | None = None

    @classmethod
    def json(cls, doc: dict | list, status: int = 200, **kw: object) -> Reply:
        return cls(status=status, body=doc, **kw)  # type: ignore[arg-type]

    @classmethod
    def html(cls, html: str, status: int = 200, **kw: object) -> Reply:
        return cls(status=status, body=html, content_type="text/html; charset=utf-8",
                   **kw)  # type: ignore[arg-type]

    @classmethod
    def text(cls, text: str, status: int = 200, **kw: object) -> Reply:
        return cls(status=status, body=text, content_type="text/plain; charset=utf-8",
                   **kw)  # type: ignore[arg-type]

    @classmethod
    def redirect(cls, location: str, status: int = 302) -> Reply:
        return cls(status=status, headers={"Location": location}, body="")

    @classmethod
    def huge(cls, size: int, content_type: str = "application/json") -> Reply:
        return cls(body_size=size, content_type=content_type)

    def encoded(self) -> tuple[bytes, str]:
        if isinstance(self.body, (dict, list)):
            return json.dumps(self.body).encode(), self.content_type or "application/json"
        if isinstance(self.body, str):
            return self.body.encode(), self.content_type or "text/plain; charset=utf-8"
        return self.body or b"", self.content_type or "application/octet-stream"


@dataclass
class RecordedRequest:
    """One request as the server saw it; `finished` is set once the reply is over."""

    method: str
    path: str
    headers: dict[str, str]
    bytes_sent: int = 0
    error: str | None = None
    finished: threading.Event = field(default_factory=threading.Event)


Responder = Reply | Callable[[RecordedRequest], Reply]


class LocalServer:
    """A threaded http.server on 127.0.0.1; HTTPS when given a server-side SSLContext."""

    def __init__(self, *, ssl_context: ssl.SSLContext | None = None,
                 host: str = "127.0.0.1") -> None:
        self.ssl_context = ssl_context
        self.host = host
        self.routes: dict[str, Responder] = {}
        self.requests: list[RecordedRequest] = []
        self.tls_failures = 0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- configuration and inspection

    def route(self, path: str, reply: Responder) -> LocalServer:
        self.routes[path] = reply
        return self

    def requests_to(self, path: str) -> list[RecordedRequest]:
        with self._lock:
            return [r for r in self.requests if r.path == path]

    @property
    def port(self) -> int:
        assert self._httpd is not None, "server not started"
        return self._httpd.server_address[1]

    @property
    def scheme(self) -> str:
        return "https" if self.ssl_context else "http"

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    # -- lifecycle

    def start(self) -> LocalServer:
        server = self

        class Handler(_Handler):
            owner = server

        httpd = _Server((self.host, 0), Handler)
        httpd.handle_error = lambda request, address: None  # type: ignore[method-assign]
        self._httpd = httpd
        self._thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True, name=f"LocalServer:{self.port}")
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()  # wakes handlers sleeping in a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- used by the handler

    def _record(self, req: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(req)

    def _tls_failed(self) -> None:
        with self._lock:
            self.tls_failures += 1


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many concurrent checks: the default backlog of 5 drops SYNs


class _Handler(BaseHTTPRequestHandler):
    owner: LocalServer
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        ctx = self.owner.ssl_context
        if ctx is not None:
            self.request.settimeout(10)
            try:
                self.request = ctx.wrap_socket(self.request, server_side=True)
            except (ssl.SSLError, OSError):
                self.owner._tls_failed()
                raise
        super().setup()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        path = urlsplit(self.path).path
        req = RecordedRequest(self.command, path,
                              {k.lower(): v for k, v in self.headers.items()})
        self.owner._record(req)
        try:
            responder = self.owner.routes.get(path) or Reply.json(
                {"error": {"code": "NOT_FOUND", "message": f"no route {path}"}}, status=404)
            reply = responder(req) if callable(responder) else responder
            if reply.delay_s and self.owner._stop.wait(reply.delay_s):
                return  # server stopping: drop the connection
            self._send(req, reply, send_body)
        except OSError as err:  # the client went away (timeout, body cap)
            req.error = type(err).__name__
        finally:
            self.close_connection = True
            req.finished.set()

    def _send(self, req: RecordedRequest, reply: Reply, send_body: bool) -> None:
        body, content_type = reply.encoded()
        length = reply.body_size if reply.body_size is not None else len(body)
        self.send_response(reply.status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(length))
        self.send_header("Connection", "close")
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        if not send_body:
            return
        if reply.body_size is None:
            self.wfile.write(body)
            req.bytes_sent = len(body)
            return
        remaining = reply.body_size
        while remaining > 0:
            chunk = _FILLER[: min(remaining, len(_FILLER))]
            self.wfile.write(chunk)
            req.bytes_sent += len(chunk)
            remaining -= len(chunk)


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then closed)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return port


def tls_server_context(ca: object, *names: str) -> ssl.SSLContext:
    """A server-side context with a certificate issued by a trustme CA for `names`."""
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("127.0.0.1", "localhost"))).configure_cert(ctx)  # type: ignore[attr-defined]
    return ctx


def write_ca_pem(ca: object, path: Path) -> Path:
    """The trustme CA's certificate as a PEM file, for a client's ca_cert."""
    ca.cert_pem.write_to_path(str(path))  # type: ignore[attr-defined]
    return path

"""One pool of kept-alive connections to Slack, for every post: Web API calls and response_url.

Why the standard library's http.client under a small pool, not httpx: posts share one GIL
with acks and triage, so their CPU cost is the answer path's cost. Measured on our 2-core
machine, posting a typical answer (a few kB of Block Kit) over a kept-alive connection
took 0.18 ms of CPU with http.client and 0.55 ms with httpx (500 posts each); the
urllib slack_sdk uses by default opens a new connection (and a TLS handshake) per call.

`PooledWebClient` is slack_sdk's WebClient (its retries on 429 and dropped connections,
its errors and responses) sending over this pool instead of urllib.
"""

from __future__ import annotations

import http.client
import json
import socket
import ssl
import threading
import time
from dataclasses import dataclass
from email.message import Message
from io import BytesIO
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient

from bot.slack.workers import Deliveries

TIMEOUT_S = 15.0
IDLE_S = 30.0  # a connection idle longer may have been closed by Slack: not reused
MAX_IDLE_PER_HOST = 64
# Failures of a reused connection before any answer: the server had closed it; try anew.
_STALE = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError,
          http.client.CannotSendRequest)

_Connection = http.client.HTTPConnection


@dataclass(frozen=True)
class Response:
    """What Slack answered: status, headers (as urllib gives them), body."""

    status: int
    reason: str
    headers: Message
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class SlackConnections:
    """Kept-alive HTTP(S) connections by host, each used by one thread at a time."""

    def __init__(self, *, timeout_s: float = TIMEOUT_S, idle_s: float = IDLE_S,
                 max_idle_per_host: int = MAX_IDLE_PER_HOST) -> None:
        self.timeout_s, self.idle_s, self.max_idle = timeout_s, idle_s, max_idle_per_host
        self._idle: dict[tuple[str, str, int], list[tuple[_Connection, float]]] = {}
        self._lock = threading.Lock()
        self._tls = ssl.create_default_context()
        self._closed = False

    def post_json(self, url: str, payload: dict) -> Response:
        return self.request("POST", url, json.dumps(payload).encode(),
                            {"Content-Type": "application/json; charset=utf-8"})

    def request(self, method: str, url: str, body: bytes | None, headers: dict[str, str],
                timeout_s: float | None = None) -> Response:
        """One request; once more on a fresh connection if a kept-alive one was stale."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"not an http(s) URL: {parts.scheme}://{parts.hostname}")
        key = (parts.scheme, parts.hostname, parts.port or (443 if parts.scheme == "https"
                                                            else 80))
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        conn, reused = self._take(key, timeout_s)
        try:
            return self._send(key, conn, method, target, body, headers)
        except _STALE:
            conn.close()
            if not reused:
                raise
        conn = self._new(key, timeout_s)
        try:
            return self._send(key, conn, method, target, body, headers)
        except BaseException:
            conn.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, {}
        for conns in idle.values():
            for conn, _ in conns:
                conn.close()

    def _send(self, key: tuple[str, str, int], conn: _Connection, method: str, target: str,
              body: bytes | None, headers: dict[str, str]) -> Response:
        try:
            conn.request(method, target, body=body, headers=headers)  # one write: no Nagle stall
            resp = conn.getresponse()
            data = resp.read()
        except _STALE:
            raise
        except BaseException:
            conn.close()
            raise
        if resp.will_close:
            conn.close()
        else:
            self._give_back(key, conn)
        return Response(resp.status, resp.reason, resp.msg, data)

    def _take(self, key: tuple[str, str, int], timeout_s: float | None
              ) -> tuple[_Connection, bool]:
        now = time.monotonic()
        with self._lock:
            conns = self._idle.get(key) or []
            while conns:
                conn, since = conns.pop()
                if now - since < self.idle_s:
                    conn.timeout = timeout_s or self.timeout_s
                    if conn.sock is not None:
                        conn.sock.settimeout(conn.timeout)
                    return conn, True
                conn.close()
        return self._new(key, timeout_s), False

    def _new(self, key: tuple[str, str, int], timeout_s: float | None) -> _Connection:
        scheme, host, port = key
        timeout = timeout_s or self.timeout_s
        conn: _Connection = (http.client.HTTPSConnection(host, port, timeout=timeout,
                                                         context=self._tls)
                             if scheme == "https" else
                             http.client.HTTPConnection(host, port, timeout=timeout))
        conn.connect()
        if conn.sock is not None:
            conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn

    def _give_back(self, key: tuple[str, str, int], conn: _Connection) -> None:
        with self._lock:
            conns = self._idle.setdefault(key, [])
            if self._closed or len(conns) >= self.max_idle:
                conn.close()
            else:
                conns.append((conn, time.monotonic()))


class PooledWebClient(WebClient):
    """slack_sdk's WebClient (retries on 429 and dropped connections, SlackApiError,
    SlackResponse) over the shared pool instead of a new urllib connection per call.
    `deliveries`, when given, is where `bot.slack.posting.post` sends from."""

    def __init__(self, *args: Any, connections: SlackConnections,
                 deliveries: Deliveries | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.connections = connections
        self.deliveries = deliveries

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        if self.proxy is not None or not url.lower().startswith("http"):
            return super()._perform_urllib_http_request_internal(url, req)
        data = req.data if isinstance(req.data, bytes) else None
        headers = {k: str(v) for k, v in req.header_items()}
        try:
            resp = self.connections.request(req.get_method(), url, data, headers,
                                            timeout_s=self.timeout)
        except TimeoutError:
            raise
        except OSError as err:  # refused, reset, unreachable: slack_sdk retries these
            raise URLError(err) from err
        if resp.status >= 400:  # as urllib does; slack_sdk reads 429's Retry-After from it
            raise HTTPError(url, resp.status, resp.reason, resp.headers, BytesIO(resp.body))
        charset = resp.headers.get_content_charset() or "utf-8"
        return {"status": resp.status, "headers": resp.headers,
                "body": resp.body.decode(charset)}

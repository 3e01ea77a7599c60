"""A local stand-in for Slack's Socket Mode end: websockets on 127.0.0.1, opened through the
Web API stand-in's `apps.connections.open`.

    with LocalSlackAPI() as api, LocalSocketMode(api) as slack:
        ...  # start the bot with SLACK_APP_TOKEN=APP_TOKEN and api.base_url
        slack.wait_connected(1)
        envelope_id = slack.send("slash_commands", payload)
        slack.wait_ack(envelope_id)

Each connection is greeted with `hello`; envelopes go to the newest open connection; acks
are recorded by envelope_id with their arrival time. `refresh()` sends Slack's
`disconnect` (reason `refresh_requested`) and, like Slack, keeps the old socket open a
while before closing it; `drop()` cuts the newest connection without a close frame.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakes.slack_api import APP_TOKEN, LocalSlackAPI
from tests.fakes.slack_payloads import APP_ID

__all__ = ["APP_TOKEN", "Ack", "Link", "LocalSocketMode"]


@dataclass(frozen=True)
class Ack:
    """What the app sent back for one envelope, and when it arrived."""

    envelope_id: str
    payload: dict[str, Any] | None
    at: float
    link: int


@dataclass
class Link:
    """One websocket connection the app opened."""

    number: int
    ws: ServerConnection
    opened_at: float
    closed_at: float | None = None
    sent: list[str] = field(default_factory=list)  # envelope ids sent on it


class LocalSocketMode:
    """Slack's Socket Mode websockets, handed out by `apps.connections.open`."""

    def __init__(self, api: LocalSlackAPI, *, close_after_disconnect_s: float = 10.0) -> None:
        self.api = api
        self.close_after_disconnect_s = close_after_disconnect_s
        self.links: list[Link] = []
        self.acks: dict[str, Ack] = {}
        self.urls_issued = 0
        self._changed = threading.Condition()
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._timers: list[threading.Timer] = []

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> LocalSocketMode:
        self._server = serve(self._serve_link, "127.0.0.1", 0, compression=None,
                             ping_interval=None)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        name="local-socket-mode", daemon=True)
        self._thread.start()
        self.api.workspace.methods["apps.connections.open"] = self._open
        return self

    def stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for link in list(self.links):
            with contextlib.suppress(Exception):
                link.ws.close()
        if self._server is not None:
            self._server.shutdown()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)

    def __enter__(self) -> LocalSocketMode:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def ws_url(self) -> str:
        assert self._server is not None, "LocalSocketMode is not started"
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}/link/"

    # ------------------------------------------------------------------ what Slack does

    def send(self, kind: str, payload: dict[str, Any], *, accepts_response_payload: bool = True,
             retry_attempt: int = 0) -> str:
        """An envelope (`events_api`, `slash_commands`, `interactive`) on the newest link."""
        envelope_id = str(uuid.uuid4())
        link = self.newest()
        link.sent.append(envelope_id)
        link.ws.send(json.dumps({
            "envelope_id": envelope_id, "payload": payload, "type": kind,
            "accepts_response_payload": accepts_response_payload,
            "retry_attempt": retry_attempt, "retry_reason": ""}))
        return envelope_id

    def refresh(self) -> Link:
        """Slack's `disconnect` (refresh_requested) on the newest link; the link itself is
        closed `close_after_disconnect_s` later, as Slack does."""
        link = self.newest()
        link.ws.send(json.dumps({"type": "disconnect", "reason": "refresh_requested",
                                 "debug_info": {"host": "applink-local"}}))
        timer = threading.Timer(self.close_after_disconnect_s, link.ws.close)
        timer.daemon = True
        timer.start()
        self._timers.append(timer)
        return link

    def drop(self) -> Link:
        """The newest link's TCP connection cut, with no close frame (a network failure)."""
        link = self.newest()
        with contextlib.suppress(OSError):
            link.ws.socket.shutdown(socket.SHUT_RDWR)
        return link

    # ------------------------------------------------------------------ what tests read

    def newest(self) -> Link:
        with self._changed:
            open_links = [li for li in self.links if li.closed_at is None]
        if not open_links:
            raise AssertionError("the app has no open Socket Mode connection")
        return open_links[-1]

    def wait_connected(self, count: int, timeout: float = 10.0) -> Link:
        """Block until the app opened its `count`-th connection (1 = the first); return it."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self.links) >= count, timeout):
                raise AssertionError(f"expected connection #{count} within {timeout}s, the app "
                                     f"opened {len(self.links)}")
            return self.links[count - 1]

    def wait_ack(self, envelope_id: str, timeout: float = 10.0) -> Ack:
        with self._changed:
            if not self._changed.wait_for(lambda: envelope_id in self.acks, timeout):
                raise AssertionError(f"no ack for envelope {envelope_id} within {timeout}s; "
                                     f"acked: {list(self.acks)}")
            return self.acks[envelope_id]

    # ------------------------------------------------------------------ plumbing

    def _open(self, params: dict[str, Any]) -> dict[str, Any]:
        self.urls_issued += 1
        return {"ok": True, "url": f"{self.ws_url}?ticket={uuid.uuid4()}&app_id={APP_ID}"}

    def _serve_link(self, ws: ServerConnection) -> None:
        if not urlsplit(ws.request.path if ws.request else "").path.startswith("/link/"):
            ws.close(1008, "unknown path")
            return
        with self._changed:
            link = Link(len(self.links) + 1, ws, time.time())
            self.links.append(link)
        ws.send(json.dumps({"type": "hello", "num_connections": len(self.links),
                            "debug_info": {"host": "applink-local", "build_number": 1,
                                           "approximate_connection_time": 18060},
                            "connection_info": {"app_id": APP_ID}}))
        with self._changed:
            self._changed.notify_all()
        try:
            for raw in ws:
                self._record(link, raw)
        except ConnectionClosed:
            pass
        finally:
            with self._changed:
                link.closed_at = time.time()
                self._changed.notify_all()

    def _record(self, link: Link, raw: str | bytes) -> None:
        try:
            message = json.loads(raw)
        except ValueError:
            return
        if isinstance(message, dict) and message.get("envelope_id"):
            with self._changed:
                self.acks[message["envelope_id"]] = Ack(message["envelope_id"],
                                                        message.get("payload"), time.time(),
                                                        link.number)
                self._changed.notify_all()

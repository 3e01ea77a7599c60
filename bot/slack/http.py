"""HTTP mode: bolt's own WSGI adapter on one path, plus `GET /healthz` and `GET /metrics`,
served by waitress.

bolt's `app.start()` is a development server; waitress is a production WSGI server.
In front of bolt's adapter, `SlackHTTP` answers liveness checks and Prometheus scrapes
(unsigned: they carry counts and fixed labels only, see bot.metrics) and refuses what is
not a Slack request before reading a byte of its body: wrong path or method, a missing or
oversized Content-Length. Bodies bolt cannot parse get a 400, never a 500; bolt
verifies every signature. `OpsHTTP` is the same two GET paths alone, for Socket Mode.
"""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from slack_bolt import App, BoltResponse
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.adapter.wsgi.http_request import WsgiHttpRequest
from slack_bolt.request import BoltRequest
from slack_bolt.request.internals import build_context

from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import METRICS, RECEIVED_AT, Metrics

if TYPE_CHECKING:
    from bot.slack.early_busy import EarlyBusy

log = logging.getLogger("errcode.http")

EVENTS_PATH = "/slack/events"
HEALTH_PATH = "/healthz"
METRICS_PATH = "/metrics"
MAX_BODY_BYTES = 2 * 1024 * 1024  # Slack payloads are far smaller; this bounds memory
# A listener acks once its question is stored, and an ack that is stored waits for the
# commit it shares with others (bot.store.group): with 4 threads a few such acks held
# every thread while 50 connections queued. wrk at 50 connections, answers computed
# beside, same runs: ack p99 100-218 ms with 4 threads, 132-146 ms with 16 (the bolt
# app's own count; docs/benchmarks.md, "Answer path under load").
HTTP_THREADS = 16
QUEUE_LOG_EVERY_S = 1.0


class OpsHTTP:
    """The WSGI app of what operators ask: `GET /healthz` (liveness) and `GET /metrics`."""

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics or METRICS

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path not in (HEALTH_PATH, METRICS_PATH):
            return _reply(start_response, 404, {"error": "not found"})
        if method not in ("GET", "HEAD"):
            return _reply(start_response, 405, {"error": "method not allowed"})
        if path == HEALTH_PATH:
            return _reply(start_response, 200, {"ok": True})
        body = self.metrics.text()
        start_response("200 OK", [("Content-Type", METRICS_CONTENT_TYPE),
                                  ("Content-Length", str(len(body)))])
        return [body] if method == "GET" else []


class SlackHTTP(OpsHTTP):
    """The WSGI app: `/healthz`, `/metrics`, and Slack's requests on `path` handed to
    bolt's adapter; while the answer queue is full, `early` tells a signed slash command
    "busy" before bolt reads it (bot.slack.early_busy)."""

    def __init__(self, app: App, path: str = EVENTS_PATH, metrics: Metrics | None = None,
                 early: EarlyBusy | None = None) -> None:
        super().__init__(metrics)
        self.path = path
        self.bolt = _BoltAdapter(app, path, self.metrics)
        self.early = early

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path in (HEALTH_PATH, METRICS_PATH):
            return super().__call__(environ, start_response)
        if path != self.path:
            return _reply(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _reply(start_response, 405, {"error": "method not allowed"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            self.metrics.slack_rejected("http", "malformed")
            return _reply(start_response, 400, {"error": "bad content-length"})
        if length > MAX_BODY_BYTES:
            self.metrics.slack_rejected("http", "too_large")
            return _reply(start_response, 413, {"error": "body too large"})
        if self.early is not None and length and self.early.active():
            return self._maybe_busy(environ, start_response, length)
        return self.bolt(environ, start_response)

    def _maybe_busy(self, environ: dict[str, Any], start_response: Callable,
                    length: int) -> Iterable[bytes]:
        """The busy ack without bolt when `early` sheds the request; else bolt, with the
        body read here given back to it."""
        assert self.early is not None
        started = time.perf_counter()
        body = environ["wsgi.input"].read(length)
        shed = self.early.reply(_signature_headers(environ), body)
        if shed is None:
            environ["wsgi.input"] = io.BytesIO(body)
            return self.bolt(environ, start_response)
        ack, form = shed
        start_response("200 OK", [("Content-Type", "application/json"),
                                  ("Content-Length", str(len(ack)))])
        self.metrics.slack_request("http", form, status=200,
                                   seconds=time.perf_counter() - started)
        return [ack]


class _BoltAdapter(SlackRequestHandler):
    """bolt's WSGI adapter, with junk bodies and failed dispatches answered as a 400, and
    each request counted (bot.metrics) once bolt has answered it."""

    def __init__(self, app: App, path: str, metrics: Metrics) -> None:
        super().__init__(app, path)
        self.metrics = metrics

    def dispatch(self, request: WsgiHttpRequest) -> BoltResponse:
        started = time.perf_counter()
        try:
            bolt_request = BoltRequest(body=request.get_body(), query=request.query_string,
                                       headers=request.get_headers(),
                                       context={RECEIVED_AT: time.time()})
        except Exception as err:  # undecodable bytes, broken JSON, broken form payload
            log.warning("event=bad_request reason=%s", type(err).__name__)
            self.metrics.slack_rejected("http", "malformed")
            return _bolt_error("malformed body")
        _reread_form(bolt_request)
        try:
            response = self.app.dispatch(bolt_request)
        except Exception:
            log.exception("event=dispatch_failed")
            response = _bolt_error("request could not be handled")
        self.metrics.slack_request("http", bolt_request.body, status=response.status,
                                   seconds=time.perf_counter() - started)
        return response


def _reread_form(req: BoltRequest) -> None:
    """bolt reads any form body holding the word "payload" as an interactivity payload;
    a slash command whose text says "payload" ("invalid payload") then parses as nothing
    and is never answered (404). Such a body is read as the plain form it is."""
    raw = req.raw_body
    if req.body or not raw or raw.startswith("{") or "payload" not in raw:
        return
    form = dict(parse_qsl(raw, keep_blank_values=True))
    if form and "payload" not in form:
        req.body = form
        req.context = build_context(req.context, form)  # ids and response_url, as bolt does


def _signature_headers(environ: dict[str, Any]) -> dict[str, str]:
    """The two headers Slack signs a request with, by their lowercased names."""
    return {"x-slack-request-timestamp": str(environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", "")),
            "x-slack-signature": str(environ.get("HTTP_X_SLACK_SIGNATURE", ""))}


def _bolt_error(message: str) -> BoltResponse:
    return BoltResponse(status=400, body=json.dumps({"error": message}),
                        headers={"content-type": "application/json"})


def _reply(start_response: Callable, status: int, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(f"{status} {HTTPStatus(status).phrase}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


class QueueDepthLog:
    """Stands in for waitress's queue logger, which says "Task queue depth is N" for
    every request that finds the threads busy: under load a line per request, written
    by the server's one I/O thread (a fifth of its time at 50 connections, py-spy
    --gil). One line per second at most, with the deepest queue seen since the last."""

    def __init__(self, every_s: float = QUEUE_LOG_EVERY_S) -> None:
        self.every_s = every_s
        self._lock = threading.Lock()
        self._last = float("-inf")
        self._count = 0
        self._deepest = 0

    def warning(self, msg: str, depth: int, *args: object) -> None:
        now = time.monotonic()
        with self._lock:
            self._count += 1
            self._deepest = max(self._deepest, depth)
            if now - self._last < self.every_s:
                return
            count, deepest = self._count, self._deepest
            self._last, self._count, self._deepest = now, 0, 0
        log.warning("event=http_queued depth=%d deepest=%d queued_since_last=%d", depth,
                    deepest, count)


def make_server(app: App, host: str = "0.0.0.0", port: int = 3000,
                threads: int = HTTP_THREADS, metrics: Metrics | None = None,
                early: EarlyBusy | None = None) -> Any:
    """A waitress server, not yet running: `.run()` serves, `.close()` stops.

    waitress itself refuses a body over the cap from its Content-Length before reading a
    byte of it (or, chunked, as soon as the streamed bytes pass it), so at most the cap is
    ever buffered; tests/slack/test_answer_path.py sends both. `.effective_port` tells the
    port when 0 was asked for (tests bind port 0).
    """
    from waitress.server import create_server

    server = create_server(SlackHTTP(app, metrics=metrics, early=early), host=host, port=port,
                           threads=threads, ident="errcode", connection_limit=200,
                           channel_timeout=30, clear_untrusted_proxy_headers=True,
                           max_request_body_size=MAX_BODY_BYTES + 1)
    server.task_dispatcher.queue_logger = QueueDepthLog()
    return server


def make_ops_server(host: str = "0.0.0.0", port: int = 9090,
                    metrics: Metrics | None = None) -> Any:
    """A small waitress server of `GET /healthz` and `GET /metrics` alone (Socket Mode has
    no HTTP server of its own): `.run()` serves, `.close()` stops."""
    from waitress.server import create_server

    return create_server(OpsHTTP(metrics), host=host, port=port, threads=1, ident="errcode",
                         connection_limit=20, channel_timeout=30,
                         max_request_body_size=0)

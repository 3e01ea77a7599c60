"""Socket Mode: the bot's websocket to Slack, kept open through refreshes and drops.

Why our own connection loop (on the `websockets` library, with bolt's own Socket Mode
request and dispatch): measured against tests/fakes/slack_socket.py, 4 runs each, time
from Slack's `disconnect` (refresh_requested) to the ack of the first envelope sent on the
new socket: bolt's built-in adapter 3.13-3.15 s every time (it waits out the old socket's
read timeout; Slack gives up at 3 s); bolt's websocket-client adapter 0.7 s in two runs
and 10.7 s in the other two (closing the old session raced with starting the new one, so
nothing read the new socket until Slack closed the old one), opening 4-5 sockets where 2
were needed; this loop 0.02 s every time, with 2 sockets.

Here each socket has its own reader thread: on `disconnect` the next socket is opened and
read at once while the old one drains; a dropped socket (read error, or no pong within
`ping_interval_s`) is replaced at once. Startup names a rejected token
(`SLACK_APP_TOKEN: rejected by Slack: invalid_auth`) and retries an unreachable Slack with
backoff, one log line per attempt.

Each envelope is counted for /metrics (bot.metrics: requests, acks, time from reading it
to its ack). Socket Mode has no HTTP server, so `/metrics` and `/healthz` are served by
a small listener of their own when a port is given (`start_ops_listener`).
"""
from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor

from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk.errors import SlackApiError
from slack_sdk.socket_mode.request import SocketModeRequest
from websockets.exceptions import ConnectionClosed, WebSocketException
from websockets.sync.client import ClientConnection, connect

from bot.errors import ConfigError
from bot.metrics import METRICS, RECEIVED_AT, Metrics
from bot.slack.http import MAX_BODY_BYTES, make_ops_server

log = logging.getLogger("errcode.socket")

BACKOFF_S = (1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # then 30 s between attempts, for ever
PING_INTERVAL_S = 5.0  # a silent dead socket is noticed within two of these
DRAIN_S = 2.0  # an old socket stays open this long after its replacement, for late acks
HANDLER_THREADS = 8  # envelopes dispatched at once (listeners only ack and queue)
MAX_MESSAGE_BYTES = MAX_BODY_BYTES + 64 * 1024  # as HTTP mode's cap, plus the envelope
# Answers of apps.connections.open that no retry will change: the token is wrong.
TOKEN_ERRORS = {"invalid_auth", "not_authed", "account_inactive", "token_revoked",
                "token_expired", "not_allowed_token_type", "missing_scope", "no_permission"}


class SocketMode:
    """Serve `app` over Socket Mode until `close()`."""

    def __init__(self, app: App, app_token: str, *, backoff_s: Sequence[float] = BACKOFF_S,
                 ping_interval_s: float = PING_INTERVAL_S, metrics: Metrics | None = None
                 ) -> None:
        self.app = app
        self.metrics = metrics or METRICS
        self.app_token = app_token
        self.backoff_s = tuple(backoff_s)
        self.ping_interval_s = ping_interval_s
        self.connected = threading.Event()  # the first socket is open
        self._stopped = threading.Event()
        self._wake = threading.Event()  # a socket asked to be replaced, or died
        self._lock = threading.Lock()
        self._current: ClientConnection | None = None
        self._retired: ClientConnection | None = None  # the socket that asked
        self._handlers = ThreadPoolExecutor(HANDLER_THREADS, thread_name_prefix="errcode-socket")

    def serve(self) -> None:
        """Keep one socket open, replacing it when Slack asks or it drops. Raises ConfigError
        when Slack rejects the app token before the first socket opened."""
        failures = 0
        while not self._stopped.is_set():
            try:
                ws = self._open()
            except ConfigError:
                if not self.connected.is_set():
                    raise
                ws, reason = None, "token_rejected"
                log.error("event=socket_token_rejected; fix SLACK_APP_TOKEN")
            except (SlackApiError, OSError, WebSocketException, TimeoutError) as err:
                ws, reason = None, _reason(err)
            if ws is None:
                failures += 1
                delay = self.backoff_s[min(failures, len(self.backoff_s)) - 1]
                log.warning("event=slack_unreachable mode=socket attempt=%d error=%s "
                            "retry_in_s=%g", failures, reason, delay)
                self._stopped.wait(delay)
                continue
            log.info("event=socket_connected attempt=%d", failures + 1)
            failures = 0
            self._swap(ws)
            self.connected.set()
            self._wait_for_replacement()

    def close(self) -> None:
        self._stopped.set()
        self._wake.set()
        if self._current is not None:
            with contextlib.suppress(Exception):
                self._current.close()
        self._handlers.shutdown(wait=False, cancel_futures=True)

    # ------------------------------------------------------------------ sockets

    def _open(self) -> ClientConnection:
        try:
            url = self.app.client.apps_connections_open(app_token=self.app_token)["url"]
        except SlackApiError as err:
            code = str(err.response.get("error") or "unknown_error")
            if code in TOKEN_ERRORS:
                raise ConfigError("SLACK_APP_TOKEN", f"rejected by Slack: {code}") from None
            raise
        return connect(url, open_timeout=10, ping_interval=self.ping_interval_s,
                       ping_timeout=self.ping_interval_s, close_timeout=2,
                       max_size=MAX_MESSAGE_BYTES, compression=None)

    def _wait_for_replacement(self) -> None:
        """Until the current socket asks to be replaced (or dies), or we stop."""
        while not self._stopped.is_set():
            self._wake.wait()
            self._wake.clear()
            with self._lock:
                if self._retired is not None and self._retired is self._current:
                    return

    def _swap(self, ws: ClientConnection) -> None:
        """Read the new socket at once; close the old one once its late acks are out."""
        with self._lock:
            old, self._current = self._current, ws
        threading.Thread(target=self._read, args=(ws,), name="errcode-socket-read",
                         daemon=True).start()
        if old is not None:
            timer = threading.Timer(DRAIN_S, old.close)
            timer.daemon = True
            timer.start()

    def _read(self, ws: ClientConnection) -> None:
        try:
            with ws:  # the reader owns the socket: closed when reading ends
                for raw in ws:
                    message = _parse(raw)
                    if message.get("type") == "disconnect":
                        log.info("event=socket_refresh reason=%s", message.get("reason"))
                        self._replace(ws)
                    elif message.get("envelope_id"):
                        self._handlers.submit(self._handle, ws, message, time.perf_counter(),
                                              time.time())
        except (ConnectionClosed, OSError) as err:
            if not self._stopped.is_set() and ws is self._current:
                log.warning("event=socket_dropped error=%s", _reason(err))
        except RuntimeError:  # handlers shut down: we are stopping
            return
        self._replace(ws)

    def _replace(self, ws: ClientConnection) -> None:
        with self._lock:
            if ws is self._current:
                self._retired = ws
        self._wake.set()

    # ------------------------------------------------------------------ envelopes

    def _handle(self, ws: ClientConnection, message: dict, read_at: float | None = None,
                received_at: float | None = None) -> None:
        """Dispatch one envelope to bolt; ack it by envelope_id on the socket it came on (or
        the current one, if that closed meanwhile). `read_at` (perf_counter) and
        `received_at` (epoch s): when the reader took it off the socket."""
        started = read_at if read_at is not None else time.perf_counter()
        request = SocketModeRequest.from_dict(message)
        if request is None:
            return
        bolt_request = BoltRequest(mode="socket_mode", body=request.payload,
                                   headers=_retry_headers(request),
                                   context={RECEIVED_AT: received_at or time.time()})
        try:
            response = self.app.dispatch(bolt_request)
        except Exception:  # as HTTP mode's 400: the envelope is not acked, Slack retries
            log.exception("event=dispatch_failed mode=socket")
            self.metrics.slack_request("socket", bolt_request.body, status=500, seconds=0)
            return
        if response.status != 200:
            log.info("event=socket_not_acked type=%s status=%s", request.type, response.status)
            self.metrics.slack_request("socket", bolt_request.body, status=response.status,
                                       seconds=0)
            return
        ack: dict = {"envelope_id": request.envelope_id}
        if response.body:
            is_json = response.headers.get("content-type", [""])[0].startswith(
                "application/json")
            ack["payload"] = json.loads(response.body) if is_json else {"text": response.body}
        for target in (ws, self._current):
            if target is None:
                continue
            try:
                target.send(json.dumps(ack))
                break
            except (ConnectionClosed, OSError):
                continue
        else:
            log.warning("event=ack_lost envelope_id=%s", request.envelope_id)
            self.metrics.slack_request("socket", bolt_request.body, status=503, seconds=0)
            return
        seconds = time.perf_counter() - started
        self.metrics.slack_request("socket", bolt_request.body, status=200, seconds=seconds)
        log.debug("event=socket_acked type=%s ms=%.0f", request.type, seconds * 1000)


class OpsListener:
    """`GET /metrics` and `GET /healthz` on their own port, in a daemon thread."""

    def __init__(self, host: str, port: int, metrics: Metrics | None = None) -> None:
        self.server = make_ops_server(host, port, metrics)
        self.port: int = self.server.effective_port
        self._thread = threading.Thread(target=self._run, name="errcode-ops-http", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        with contextlib.suppress(OSError):  # closed from another thread mid-select
            self.server.run()

    def close(self) -> None:
        self.server.close()
        self._thread.join(5)


def metrics_port(flag: int | None = None, env: Mapping[str, str] | None = None) -> int | None:
    """The port of the Socket Mode ops listener: `--metrics-port`, else
    ERRCODE_METRICS_PORT, else None (no listener). ConfigError names a bad value."""
    if flag is not None:
        value, name = str(flag), "--metrics-port"
    else:
        value = (os.environ if env is None else env).get("ERRCODE_METRICS_PORT", "").strip()
        name = "ERRCODE_METRICS_PORT"
        if not value:
            return None
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise ConfigError(name, f"must be a port number from 1 to 65535, not {value!r}")
    return int(value)


def start_ops_listener(host: str, port: int | None,
                       metrics: Metrics | None = None) -> OpsListener | None:
    """Serve /metrics and /healthz on `port` (0: any free port) beside Socket Mode; None
    when no port is given (`--metrics-port`, or ERRCODE_METRICS_PORT)."""
    if port is None:
        return None
    listener = OpsListener(host, port, metrics)
    log.info("event=serving_ops host=%s port=%s paths=/metrics,/healthz", host, listener.port)
    return listener


def _retry_headers(request: SocketModeRequest) -> dict[str, str | Sequence[str]]:
    """Slack's retry marks as HTTP mode's headers, so middleware reads retries alike."""
    headers: dict[str, str | Sequence[str]] = {}
    if request.retry_attempt is not None:
        headers["x-slack-retry-num"] = str(request.retry_attempt)
    if request.retry_reason is not None:
        headers["x-slack-retry-reason"] = request.retry_reason
    return headers


def _parse(raw: str | bytes) -> dict:
    try:
        message = json.loads(raw)
    except ValueError:
        log.warning("event=socket_message_unreadable bytes=%d", len(raw))
        return {}
    return message if isinstance(message, dict) else {}


def _reason(err: BaseException) -> str:
    if isinstance(err, SlackApiError):
        return f"slack_error:{err.response.get('error')}"
    return type(err).__name__

"""HTTP mode: one path for events, commands and interactivity, plus `GET /healthz`.

Served by waitress, a production WSGI server (bolt's own `app.start()` is a
development server). Junk bodies get a 4xx before bolt sees them; bolt verifies
every signature.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable
from typing import Any

from slack_bolt import App
from slack_bolt.request import BoltRequest

log = logging.getLogger("errcode.http")

EVENTS_PATH = "/slack/events"
MAX_BODY_BYTES = 2 * 1024 * 1024  # Slack payloads are far smaller; this bounds memory


class SlackWSGI:
    """A WSGI app that hands Slack requests to bolt and answers liveness checks."""

    def __init__(self, app: App, path: str = EVENTS_PATH) -> None:
        self.app = app
        self.path = path

    def __call__(self, environ: dict[str, Any], start_response: Callable) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            if method not in ("GET", "HEAD"):
                return _reply(start_response, 405, {"error": "method not allowed"})
            return _reply(start_response, 200, {"ok": True})
        if path != self.path:
            return _reply(start_response, 404, {"error": "not found"})
        if method != "POST":
            return _reply(start_response, 405, {"error": "method not allowed"})
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return _reply(start_response, 400, {"error": "bad content-length"})
        if length > MAX_BODY_BYTES:
            return _reply(start_response, 413, {"error": "body too large"})
        raw = environ["wsgi.input"].read(length) if length > 0 else b""
        headers = {k[5:].replace("_", "-").lower(): v for k, v in environ.items()
                   if k.startswith("HTTP_")}
        if environ.get("CONTENT_TYPE"):
            headers["content-type"] = environ["CONTENT_TYPE"]
        try:
            request = BoltRequest(body=raw.decode("utf-8"), query=environ.get("QUERY_STRING"),
                                  headers=headers)
        except Exception as err:  # undecodable bytes, broken JSON, broken form payload
            log.warning("event=bad_request reason=%s bytes=%d", type(err).__name__, len(raw))
            return _reply(start_response, 400, {"error": "malformed body"})
        try:
            response = self.app.dispatch(request)
        except Exception:
            log.exception("event=dispatch_failed")
            return _reply(start_response, 400, {"error": "request could not be handled"})
        status = f"{response.status} {_REASONS.get(response.status, 'Status')}"
        out_headers = [(k, v) for k, values in response.headers.items() for v in values]
        body = response.body.encode("utf-8") if isinstance(response.body, str) else (
            response.body or b"")
        start_response(status, out_headers)
        return [body]


_REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found",
            405: "Method Not Allowed", 413: "Payload Too Large", 500: "Internal Server Error"}


def _reply(start_response: Callable, status: int, payload: dict) -> list[bytes]:
    body = json.dumps(payload).encode()
    start_response(f"{status} {_REASONS.get(status, 'Status')}",
                   [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]


def make_server(app: App, host: str = "0.0.0.0", port: int = 3000, threads: int = 16) -> Any:
    """A waitress server, not yet running: `.run()` serves, `.close()` stops.

    `.effective_port` tells the port when 0 was asked for (tests bind port 0).
    """
    from waitress.server import create_server

    server = create_server(SlackWSGI(app), host=host, port=port, threads=threads,
                           ident="errcode", connection_limit=200, channel_timeout=30,
                           clear_untrusted_proxy_headers=True)
    return server

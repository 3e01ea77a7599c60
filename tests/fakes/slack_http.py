"""The HTTP plumbing of the local Slack stand-in: requests in, replies out, argument parsing.

slack_api.py holds what the stand-in answers; this module only reads requests (keep-alive,
chunked bodies, form, multipart and JSON arguments, as Slack reads them) and writes replies.
"""

from __future__ import annotations

import json
import sys
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


def parse_params(query: str, content_type: str, body: bytes) -> dict[str, Any]:
    """Merge query string, form, multipart and JSON bodies the way Slack reads arguments."""
    params: dict[str, Any] = dict(parse_qsl(query, keep_blank_values=True))
    ctype = content_type.split(";")[0].strip().lower()
    if ctype == "application/json" and body:
        decoded = json.loads(body)
        if isinstance(decoded, dict):
            params.update(decoded)
    elif ctype == "application/x-www-form-urlencoded" and body:
        params.update(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
    elif ctype == "multipart/form-data":
        params.update(multipart_fields(content_type, body))
    return params


def multipart_fields(content_type: str, body: bytes) -> dict[str, Any]:
    """Form fields of a multipart body: text fields as str, file fields as bytes."""
    message = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
    )
    fields: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if name:
            fields[str(name)] = payload if part.get_filename() else payload.decode("utf-8")
    return fields


class QuietServer(ThreadingHTTPServer):
    """A client that hangs up mid-answer (a stopped bot) is no error worth a traceback."""

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@dataclass(frozen=True)
class Request:
    verb: str
    path: str
    query: str
    headers: dict[str, str]
    body: bytes
    peer: str = ""

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


@dataclass(frozen=True)
class Reply:
    status: int
    content_type: str
    body: bytes
    retry_after: int | None = None

    @classmethod
    def json(cls, data: dict[str, Any], status: int = 200,
             retry_after: int | None = None) -> Reply:
        body = json.dumps(data).encode()
        return cls(status, "application/json; charset=utf-8", body, retry_after)


def handler_for(handle: Callable[[Request], Reply], errors: list[str], name: str,
                scopes: str) -> type[BaseHTTPRequestHandler]:
    """A request handler class answering every request with `handle` (crashes: HTTP 500)."""

    class Handler(BaseHTTPRequestHandler):
        server_version = name
        protocol_version = "HTTP/1.1"  # keep-alive, as Slack's servers do: pooled clients reuse
        # Headers and body leave in two writes: without TCP_NODELAY the body waits for the
        # client's delayed ACK (40 ms) on a kept-alive connection, a stall Slack does not have.
        disable_nagle_algorithm = True

        def do_GET(self) -> None:
            self._serve("GET")

        def do_POST(self) -> None:
            self._serve("POST")

        def _serve(self, verb: str) -> None:
            parts = urlsplit(self.path)
            headers = {k.lower(): v for k, v in self.headers.items()}
            peer = f"{self.client_address[0]}:{self.client_address[1]}"
            request = Request(verb, parts.path, parts.query, headers, self._read_body(headers),
                               peer)
            try:
                reply = handle(request)
            except Exception:
                errors.append(traceback.format_exc())
                reply = Reply.json({"ok": False, "error": "internal_error"}, 500)
            self.send_response(reply.status)
            self.send_header("Content-Type", reply.content_type)
            self.send_header("Content-Length", str(len(reply.body)))
            self.send_header("x-slack-req-id", uuid.uuid4().hex)
            self.send_header("x-oauth-scopes", scopes)
            if reply.retry_after is not None:
                self.send_header("Retry-After", str(reply.retry_after))
            self.end_headers()
            self.wfile.write(reply.body)

        def _read_body(self, headers: dict[str, str]) -> bytes:
            if headers.get("transfer-encoding", "").lower() == "chunked":
                chunks = []
                while size := int(self.rfile.readline().split(b";")[0].strip() or b"0", 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                self.rfile.readline()
                return b"".join(chunks)
            return self.rfile.read(int(headers.get("content-length") or 0))

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: tests read recorded calls, not an access log."""

    return Handler

"""Logging for every door: one line a record, redacted on its way out, text or JSON.

Every record, from our loggers and third-party ones alike, passes a filter on the
handler that redacts its message and traceback with the one redactor, so a secret in
a paste, a Slack error or an exception text never reaches a log. Libraries that log
whole request/response bodies or headers at DEBUG (slack_sdk, httpx, httpcore, urllib3)
are held at WARNING whatever the level asked for.
`ERRCODE_LOG_FORMAT=json` gives one JSON object a line with stable keys
(ts, level, logger, msg, and every `key=value` pair of the message).
"""

from __future__ import annotations

import json
import logging
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TextIO

__all__ = ["LOG_FORMATS", "QUIET_LOGGERS", "RedactingFilter", "configure_logging"]

LOG_FORMATS = ("text", "json")
TEXT_FORMAT = "%(asctime)s level=%(levelname)s logger=%(name)s %(message)s"
# Loggers that write bodies or headers at DEBUG/INFO: never below WARNING.
QUIET_LOGGERS = ("slack_sdk", "httpx", "httpcore", "urllib3", "hpack", "websocket",
                 "websockets", "aiohttp", "waitress.queue")
_PAIR = re.compile(r"(?<![^\s])([a-z_][a-z0-9_.]{0,40})=(\"[^\"]*\"|\S*)")
_MAX_MESSAGE = 4_000


class RedactingFilter(logging.Filter):
    """Redacts each record's rendered message and traceback in place (never drops one)."""

    def __init__(self, extra_patterns: Sequence[str] = ()) -> None:
        super().__init__()
        self._patterns = tuple(extra_patterns)

    def filter(self, record: logging.LogRecord) -> bool:
        from bot.redact import Redactor  # loaded with the first record: CLI start stays quick

        redactor = Redactor(self._patterns)
        try:
            message = record.getMessage()
        except Exception:  # a bad %-format must not lose the record
            message = f"{record.msg!r} {record.args!r}"
        if len(message) > _MAX_MESSAGE:
            # Redacted, then cut: a cut must never leave half a secret unrecognised.
            message = redactor.redact(message[:2 * _MAX_MESSAGE])[:_MAX_MESSAGE] + "…"
        else:
            message = redactor.redact(message)
        record.msg, record.args = message, None
        if record.exc_info:
            text = logging.Formatter().formatException(record.exc_info)
            record.exc_info, record.exc_text = None, redactor.redact(text)
        elif record.exc_text:
            record.exc_text = redactor.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redactor.redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object a line: ts, level, logger, msg, then the message's key=value pairs."""

    def format(self, record: logging.LogRecord) -> str:
        message = record.getMessage()
        out: dict[str, object] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": message,
        }
        for key, value in _PAIR.findall(message):
            out.setdefault(key, value.strip('"'))
        if record.exc_text:
            out["exc"] = record.exc_text
        return json.dumps(out, ensure_ascii=False)


def configure_logging(level: str = "INFO", fmt: str = "text", *, stream: TextIO | None = None,
                      extra_patterns: Sequence[str] = (),
                      text_format: str = TEXT_FORMAT) -> logging.Handler:
    """Route every logger to one redacting handler on `stream` (stderr); returns it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(RedactingFilter(extra_patterns))
    handler.setFormatter(JsonFormatter() if fmt == "json" else logging.Formatter(text_format))
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())
    floor = max(logging.WARNING, root.level)
    for name in QUIET_LOGGERS:
        logging.getLogger(name).setLevel(floor)
    return handler

"""JSON in a paste -> the error codes and messages it holds, whatever its shape.

Finds JSON objects one per log line or pretty-printed across lines, decoding only
where an object plausibly starts and within a bounded window, then reads error
envelopes (`{"error":{"code":..}}`), flat errors, `code` fields and JSON log lines.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator

from bot.triage.evidence import CodeMention

MAX_JSON_WINDOW = 65_536
MAX_MULTILINE_JSON_ATTEMPTS = 200


def line_starts(lines: list[str]) -> list[int]:
    """The offset each line starts at, for `line_of`."""
    starts, pos = [], 0
    for line in lines:
        starts.append(pos)
        pos += len(line) + 1
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """The line (0-based) holding a character offset; a binary search, not a scan."""
    return max(0, bisect_right(starts, offset) - 1)


_decoder = json.JSONDecoder()
_OBJECT_START = re.compile(r"\{\s*\"")


def json_objects(text: str, lines: list[str],
                 starts: list[int]) -> Iterator[tuple[int, object]]:
    """JSON objects in the paste: one per log line, or pretty-printed across lines.

    A decode is tried only where an object plausibly starts, within a bounded
    window, and the scan resumes after each object found, which keeps it linear.
    """
    attempts = 0
    pos = 0
    n = len(text)
    while pos < n:
        m = _OBJECT_START.search(text, pos)
        if m is None:
            return
        start = m.start()
        line_no = line_of(starts, start)
        line_end = starts[line_no] + len(lines[line_no])
        one_line = text.find("}", start, line_end) != -1
        if not one_line:
            attempts += 1
            if attempts > MAX_MULTILINE_JSON_ATTEMPTS:
                pos = line_end + 1
                continue
        window_end = min(n, start + (MAX_JSON_WINDOW if not one_line else
                                     max(line_end - start, 1) + MAX_JSON_WINDOW // 8))
        try:
            obj, used = _decoder.raw_decode(text[start:window_end])
        except ValueError:
            pos = start + 1
            continue
        except RecursionError:  # absurdly deep nesting: not an error envelope
            pos = line_end + 1
            continue
        yield start, obj
        pos = start + used


def mentions_from_json(obj: object, line: int, stamp: str | None,
                        depth: int = 0) -> Iterator[tuple[CodeMention | None, str | None]]:
    """Error mentions in a decoded JSON value, whatever reasonable shape it has."""
    if depth > 6:
        return
    if isinstance(obj, list):
        for item in obj[:200]:
            yield from mentions_from_json(item, line, stamp, depth + 1)
        return
    if not isinstance(obj, dict):
        return
    err = obj.get("error")
    status = _as_status(obj.get("status") or obj.get("status_code") or obj.get("http_status"))
    rid = _as_str(obj.get("request_id") or obj.get("requestId") or obj.get("x_request_id"))
    if isinstance(err, dict):
        code = _as_str(err.get("code") or err.get("type") or err.get("error"))
        message = _as_str(err.get("message") or err.get("msg"))
        rid = _as_str(err.get("request_id")) or rid
        fields, details = _details(err.get("details"))
        if code:
            yield (CodeMention(code=code, source="envelope", line=line, message=message,
                               request_id=rid, http_status=status or _as_status(err.get("status")),
                               shape="nested_error", fields=fields, details=details,
                               seen_at=stamp), message)
        elif message:
            yield None, message
        return
    level = _as_str(obj.get("level") or obj.get("severity") or obj.get("lvl"))
    is_log = level is not None and level.lower() in {"error", "err", "fatal", "critical",
                                                     "warn", "warning"}
    message = _as_str(obj.get("message") or obj.get("msg") or obj.get("error_message"))
    for key in ("error", "code", "error_code", "errorCode"):
        value = obj.get(key)
        if isinstance(value, str) and looks_like_code(value):
            shape = "json_log" if is_log else ("flat_error" if key == "error" else "code_field")
            yield (CodeMention(code=value, source="json", line=line, message=message,
                               request_id=rid, http_status=status, shape=shape,
                               seen_at=_as_str(obj.get("time") or obj.get("ts")
                                               or obj.get("timestamp")) or stamp), message)
            return
        if isinstance(value, str) and value.strip():
            message = f"{message} {value}" if message else value
    if message and (is_log or "error" in obj or status):
        yield None, message
    for value in obj.values():
        if isinstance(value, (dict, list)):
            yield from mentions_from_json(value, line, stamp, depth + 1)


def _details(details: object) -> tuple[tuple[str, ...], str | None]:
    if not isinstance(details, dict):
        return (), (json.dumps(details) if details not in (None, "", [], {}) else None)
    fields = details.get("fields")
    lines: list[str] = []
    if isinstance(fields, list):
        for item in fields[:100]:
            if isinstance(item, dict) and "field" in item:
                lines.append(f"{item.get('field')}: {item.get('error', item.get('message', ''))}")
            else:
                lines.append(json.dumps(item))
    rest = {k: v for k, v in details.items() if k != "fields"}
    return tuple(lines), (json.dumps(rest) if rest else None)


def looks_like_code(value: str) -> bool:
    """A value shaped like an error code (`RATE_LIMITED`, `token-expired`), not prose."""
    return bool(re.fullmatch(r"[A-Za-z][A-Za-z0-9]*(?:[_\-.][A-Za-z0-9]+)*", value)) and (
        "_" in value or "-" in value or value.isupper()) and len(value) <= 80


def _as_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _as_status(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if isinstance(value, str) and value.isdigit() and 100 <= int(value) <= 599:
        return int(value)
    return None


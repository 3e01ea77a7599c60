"""JSON in a paste -> the error codes and messages it holds, whatever its shape.

Finds JSON objects one per log line, many on one line or pretty-printed across lines,
decoding only where an object plausibly starts, within a budget that keeps the scan
linear; then reads error envelopes (`{"error":{"code":..}}`), flat errors, `code`
fields and JSON log lines.
"""

from __future__ import annotations

import json
import re
from bisect import bisect_right
from collections.abc import Iterator
from itertools import accumulate, repeat
from operator import add

from bot.triage.evidence import CodeMention

# A decode reads a window of the paste that starts small and grows only while the object
# runs past it, so each attempt costs about what it reads (a decode error also counts the
# lines of everything before it in what it was given). Failed attempts are charged what
# they read plus FAILED_DECODE_COST (the error raised) against a budget of
# FAILED_DECODE_BUDGET per character of paste; when it is spent the scan stops, as it does
# after MAX_JSON_OBJECTS objects. A paste of real logs spends a small part of either.
FIRST_WINDOW = 1024
FAILED_DECODE_COST = 512
FAILED_DECODE_BUDGET = 8
FAILED_DECODE_FLOOR = 1 << 20
MAX_JSON_OBJECTS = 10_000


def line_starts(lines: list[str]) -> list[int]:
    """The offset each line starts at, for `line_of` (summed in C: a megabyte of blank
    lines is a million lines)."""
    starts = list(accumulate(map(add, map(len, lines), repeat(1)), initial=0))
    starts.pop()
    return starts


def line_of(starts: list[int], offset: int) -> int:
    """The line (0-based) holding a character offset; a binary search, not a scan."""
    return max(0, bisect_right(starts, offset) - 1)


_decoder = json.JSONDecoder()
# Where an object plausibly starts: `{` and a quoted key with its colon, so `{{{`, `{"{"`
# and the like are passed over by the regex engine, not by a failing decode each.
_OBJECT_START = re.compile(r'\{\s*+"(?:[^"\\\n]|\\.){0,256}+"\s*+:')


def json_objects(text: str) -> Iterator[tuple[int, object]]:
    """JSON objects in the paste (offset, value): one per log line, many on one line, or
    pretty-printed across lines. The scan resumes after each object found; what failed
    decodes may read is budgeted, so the scan stays linear whatever the paste. An object
    written exactly as one found before is not given again (a log repeats its envelopes,
    and the same text says nothing new); written right after the last, it is passed over
    undecoded."""
    budget = FAILED_DECODE_BUDGET * len(text) + FAILED_DECODE_FLOOR
    found = 0
    pos = 0
    last = ""
    seen: set[str] = set()
    while budget > 0 and found < MAX_JSON_OBJECTS:
        m = _OBJECT_START.search(text, pos)
        if m is None:
            return
        start = m.start()
        if last and text.startswith(last, start):
            pos = _after_repeats(text, start, last)
            continue
        obj, end, read = _decode_at(text, start)
        if read:
            # Failed. After a plain syntax error, an object may still start inside what
            # was read (a log line's envelope inside a broken outer object): look there.
            # Past nesting too deep to decode, the same depth would fail again: skip it.
            budget -= read + FAILED_DECODE_COST
            pos = start + 1 if end < 0 else end
            continue
        found += 1
        last = text[start:end]
        if last not in seen:
            seen.add(last)
            yield start, obj
        pos = end


def _after_repeats(text: str, pos: int, unit: str) -> int:
    """The offset after the run of `unit` written back to back from `pos`: blocks of it
    doubled while they still match, so a run of 100,000 costs a few dozen comparisons."""
    while text.startswith(unit, pos):
        block = unit
        while text.startswith(block + block, pos):
            block += block
        pos += len(block)
    return pos


def _decode_at(text: str, start: int) -> tuple[object, int, int]:
    """(value, end, 0) for the JSON value at `start`; on failure (None, -1, read) after a
    syntax error, (None, end of what was read, read) when nesting was too deep."""
    size = FIRST_WINDOW
    read = 0
    while True:
        end = min(len(text), start + size)
        window = text[start:end]
        try:
            obj, used = _decoder.raw_decode(window)
        except json.JSONDecodeError as exc:
            cut = end < len(text) and (exc.pos >= len(window) - 1
                                       or exc.msg.startswith("Unterminated string"))
            if not cut:
                return None, -1, read + exc.pos + 1
            read += len(window)
            size *= 4  # the object runs past the window: read more of it
            continue
        except RecursionError:  # deeper than the interpreter allows: no error envelope
            return None, end, read + len(window)
        except ValueError:  # a number too long to convert
            return None, -1, read + len(window)
        return obj, start + used, 0


_NESTED_KEYS = frozenset({"code", "message", "msg", "details", "request_id", "status"})


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
        # A product's nested envelope names its error `code` beside its message, details
        # and request id; `type` + `reason` is another family's (Elasticsearch's, OpenAI's),
        # and so is one with keys of its own (Stripe's `doc_url`, `param`, `type`): its
        # code is read, the shape is not ours.
        shape = ("nested_error" if _as_str(err.get("code")) and err.keys() <= _NESTED_KEYS
                 else "nested_typed_error")
        message = _as_str(err.get("message") or err.get("msg"))
        rid = _as_str(err.get("request_id")) or rid
        fields, details = _details(err.get("details"))
        if code:
            yield (CodeMention(code=code, source="envelope", line=line, message=message,
                               request_id=rid, http_status=status or _as_status(err.get("status")),
                               shape=shape, fields=fields, details=details,
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
            # Slack's Web API answers `{"ok": false, "error": "ratelimited"}`: its shape,
            # no product's.
            shape = ("json_log" if is_log else "ok_error" if obj.get("ok") is False
                     else "flat_error" if key == "error" else "code_field")
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
        return (), (_compact(details) if details not in (None, "", [], {}) else None)
    fields = details.get("fields")
    lines: list[str] = []
    if isinstance(fields, list):
        for item in fields[:100]:
            if isinstance(item, dict) and "field" in item:
                lines.append(f"{item.get('field')}: {item.get('error', item.get('message', ''))}")
            else:
                lines.append(_compact(item))
    rest = {k: v for k, v in details.items() if k != "fields"}
    return tuple(lines), (_compact(rest) if rest else None)


def _compact(value: object) -> str:
    """A decoded value as compact JSON. The decoder accepts nesting a few frames deeper
    than the encoder has left here, so too deep a value is said, not raised."""
    try:
        return json.dumps(value)
    except (RecursionError, ValueError):
        return '"(nested too deeply to show)"'


_CODE_SHAPE = re.compile(r"[A-Za-z][A-Za-z0-9]*+(?:[_\-.][A-Za-z0-9]++)*+")


def looks_like_code(value: str) -> bool:
    """A value shaped like an error code (`RATE_LIMITED`, `token-expired`), not prose."""
    return (len(value) <= 80 and ("_" in value or "-" in value or value.isupper())
            and _CODE_SHAPE.fullmatch(value) is not None)


def _as_str(value: object) -> str | None:
    return value.strip() if isinstance(value, str) and value.strip() else None


def _as_status(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 100 <= value <= 599:
        return value
    if (isinstance(value, str) and len(value) == 3 and value.isascii() and value.isdigit()
            and 100 <= int(value) <= 599):
        return int(value)
    return None


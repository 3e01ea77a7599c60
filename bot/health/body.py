"""Read a health endpoint's (capped) body: overall status, components, version fields, summary.

Health bodies come in many reasonable shapes; all are normalised to the same reading:
    {"status": "ok", "components": {"database": {"status": "unhealthy"}}}
    {"status": "UP", "checks": [{"name": "redis", "status": "DOWN"}]}
    {"database": "down", "version": "2.3.1"}
Server text is never trusted: control characters go, secrets are redacted, every string
is shortened (in that order).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from bot.redact import redact
from bot.text import one_line

HEALTHY_WORDS = frozenset({"ok", "healthy", "up", "pass", "passed", "passing", "green",
                           "running", "available", "operational", "online", "ready",
                           "success", "good", "true"})
DEGRADED_WORDS = frozenset({"degraded", "warn", "warning", "warnings", "partial", "yellow",
                            "slow", "unknown", "maintenance"})
UNHEALTHY_WORDS = frozenset({"unhealthy", "down", "fail", "failed", "failing", "failure",
                             "error", "critical", "red", "unavailable", "offline", "false",
                             "not ok", "not_ok", "dead", "unreachable", "outofservice",
                             "out_of_service"})
_STATUS_WORDS = HEALTHY_WORDS | DEGRADED_WORDS | UNHEALTHY_WORDS
_OVERALL_KEYS = ("status", "state", "health", "overall", "overall_status")
_OVERALL_BOOL_KEYS = ("healthy", "ok")
_CONTAINER_KEYS = ("components", "checks", "services", "dependencies", "entries", "details")
INFO_KEYS = ("version", "build", "deployment", "deployment_type", "environment")
_MESSAGE_KEYS = ("message", "error", "code", "detail", "details", "timestamp", "time",
                 "uptime", "info", "request_id")
_COMPONENT_NAME_KEYS = ("name", "component", "service", "id", "key")
_COMPONENT_STATUS_KEYS = ("status", "state", "health")
_CODE_RE = re.compile(r"[A-Za-z][A-Za-z0-9_.\-]{1,63}")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069]+")
MAX_COMPONENTS = 50
MAX_INFO = 10


def clean(text: object, limit: int = 120) -> str:
    """Server text made safe to show: no control characters, single spaces, at most `limit`,
    secrets redacted before it is cut (a cut secret no longer looks like one)."""
    text = str(text)
    return one_line(_CONTROL_RE.sub(" ", redact(text).text if len(text) > 2 else text), limit)


def level(word: str | None) -> str | None:
    """healthy / degraded / unhealthy for a status word; None when it is not one."""
    if word is None:
        return None
    w = word.strip().lower()
    if w in HEALTHY_WORDS:
        return "healthy"
    if w in UNHEALTHY_WORDS:
        return "unhealthy"
    if w in DEGRADED_WORDS:
        return "degraded"
    return None


@dataclass(frozen=True)
class BodyReading:
    """What a body says, already cleaned; `overall` is the server's own status word."""

    kind: str  # json | html | text | empty
    size: int
    truncated: bool
    overall: str | None = None
    components: dict[str, str] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    error_code: str = ""
    error_message: str = ""
    summary: str = ""

    @property
    def overall_level(self) -> str | None:
        return level(self.overall)

    @property
    def not_ok(self) -> dict[str, str]:
        """Components whose status is not a healthy word."""
        return {k: v for k, v in self.components.items() if level(v) != "healthy"}


def read_body(data: bytes, content_type: str, *, truncated: bool, cap: int) -> BodyReading:
    """Interpret up to `cap` bytes of a body; `truncated` says more bytes were left unread."""
    size = len(data)
    text = data.decode("utf-8", errors="replace")
    cap_note = f"; body larger than {cap // 1024} KiB, reading stopped at the cap" \
        if truncated else ""
    if not text.strip():
        return BodyReading("empty", size, truncated, summary="empty body" + cap_note)
    parsed = _json(text, content_type, truncated)
    if isinstance(parsed, (dict, list)):
        reading = _read_json(parsed, size, truncated)
        return _with_summary(reading, cap_note)
    if "html" in content_type.lower() or re.match(r"\s*<(!doctype|html)", text, re.I):
        title = re.search(r"<title[^>]*>(.*?)</title", text, re.I | re.S)
        name = f' "{clean(title.group(1), 80)}"' if title and clean(title.group(1)) else ""
        return BodyReading("html", size, truncated,
                           summary=f"HTML page{name} ({_size(size, truncated)}){cap_note}")
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    word = first.strip().strip(".!").lower()
    return BodyReading("text", size, truncated, overall=word if word in _STATUS_WORDS else None,
                       summary=f'text "{clean(first, 100)}" ({_size(size, truncated)}){cap_note}')


def _json(text: str, content_type: str, truncated: bool) -> object:
    if truncated:
        return None
    stripped = text.lstrip()
    if "json" not in content_type.lower() and stripped[:1] not in ("{", "["):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def _read_json(doc: dict | list, size: int, truncated: bool) -> BodyReading:
    if isinstance(doc, list):
        return BodyReading("json", size, truncated, components=_components_from(doc))
    overall = _overall(doc)
    components: dict[str, str] = {}
    for key in _CONTAINER_KEYS:
        if key in doc and isinstance(doc[key], (dict, list)):
            components.update(_components_from(doc[key]))
    for key, value in doc.items():
        if key in _OVERALL_KEYS or key in _OVERALL_BOOL_KEYS or key in _CONTAINER_KEYS \
                or key in INFO_KEYS or key in _MESSAGE_KEYS:
            continue
        state = _component_state(value, strict=True)
        if state is not None:
            components.setdefault(clean(key, 60), state)
    code, message = _error_envelope(doc)
    return BodyReading("json", size, truncated, overall=overall,
                       components=dict(list(components.items())[:MAX_COMPONENTS]),
                       info=_info(doc), error_code=code, error_message=message)


def _overall(doc: Mapping) -> str | None:
    for key in _OVERALL_KEYS:
        value = doc.get(key)
        if isinstance(value, str) and value.strip():
            return clean(value, 40)
        if isinstance(value, Mapping):
            inner = value.get("status") or value.get("state")
            if isinstance(inner, str) and inner.strip():
                return clean(inner, 40)
    for key in _OVERALL_BOOL_KEYS:
        if isinstance(doc.get(key), bool):
            return "ok" if doc[key] else "fail"
    return None


def _components_from(container: dict | list) -> dict[str, str]:
    out: dict[str, str] = {}
    items: list[tuple[object, object]]
    if isinstance(container, dict):
        items = list(container.items())
    else:
        items = []
        for item in container:
            if isinstance(item, Mapping):
                name = next((item[k] for k in _COMPONENT_NAME_KEYS
                             if isinstance(item.get(k), str) and item[k].strip()), None)
                if name is not None:
                    items.append((name, item))
    for name, value in items:
        state = _component_state(value, strict=False)
        if state is not None:
            out.setdefault(clean(name, 60), state)
    return out


def _component_state(value: object, *, strict: bool) -> str | None:
    """A component's status word; strict (top-level keys) accepts only known status words."""
    if isinstance(value, bool):
        return None if strict else ("ok" if value else "down")
    if isinstance(value, str):
        if strict and value.strip().lower() not in _STATUS_WORDS:
            return None
        return clean(value, 40) or None
    if isinstance(value, list) and value and isinstance(value[0], Mapping):
        return _component_state(value[0], strict=strict)  # {"db": [{"status": "pass"}]}
    if isinstance(value, Mapping):
        for key in _COMPONENT_STATUS_KEYS:
            inner = value.get(key)
            if isinstance(inner, str) and inner.strip():
                if strict and inner.strip().lower() not in _STATUS_WORDS:
                    return None
                return clean(inner, 40)
        for key in ("healthy", "ok", "up"):
            if isinstance(value.get(key), bool):
                return "ok" if value[key] else "down"
    return None


def _info(doc: Mapping) -> dict[str, str]:
    out: dict[str, str] = {}
    sources = [doc]
    if isinstance(doc.get("info"), Mapping):
        sources.append(doc["info"])
    for source in sources:
        for key in INFO_KEYS:
            value = source.get(key)
            if isinstance(value, (str, int, float)) and not isinstance(value, bool):
                out.setdefault(key, clean(value, 80))
            elif isinstance(value, Mapping):
                for sub, inner in list(value.items())[:5]:
                    if isinstance(inner, (str, int, float)) and not isinstance(inner, bool):
                        out.setdefault(f"{key}.{clean(sub, 30)}", clean(inner, 80))
    return dict(list(out.items())[:MAX_INFO])


def _error_envelope(doc: Mapping) -> tuple[str, str]:
    """(code, message) from the usual error shapes: nested_error, flat_error, code_field."""
    err = doc.get("error")
    code: object = None
    message: object = doc.get("message") or doc.get("detail")
    if isinstance(err, Mapping):
        code = err.get("code")
        message = err.get("message") or message
    elif isinstance(err, str):
        if _CODE_RE.fullmatch(err):
            code = err
        else:
            message = message or err
    if code is None:
        code = doc.get("code")
    code_s = code if isinstance(code, str) and _CODE_RE.fullmatch(code) else ""
    msg_s = clean(message, 160) if isinstance(message, str) else ""
    return code_s, msg_s


def _with_summary(r: BodyReading, cap_note: str) -> BodyReading:
    parts: list[str] = []
    if r.overall:
        parts.append(f"status {r.overall}")
    if r.components:
        bad = r.not_ok
        text = f"{len(r.components)} component{'s' if len(r.components) != 1 else ''}"
        if bad:
            text += ", not ok: " + ", ".join(f"{k} {v}" for k, v in list(bad.items())[:5])
        parts.append(text)
    if r.error_code or r.error_message:
        parts.append("error " + ": ".join(p for p in (r.error_code, r.error_message) if p))
    if "version" in r.info:
        parts.append(f"version {r.info['version']}")
    summary = "; ".join(parts) or f"JSON body ({_size(r.size, r.truncated)})"
    return replace(r, summary=summary + cap_note)


def _size(size: int, truncated: bool) -> str:
    text = f"{size} bytes" if size < 10_000 else f"{size // 1024} KiB"
    return f"more than {text}" if truncated else text

"""Block Kit -> terminal text, so the console shows exactly what Slack would show."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_DATE = re.compile(r"<!date\^\d+\^[^|>]*\|([^>]*)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]+)>")
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")


@dataclass(frozen=True)
class ButtonRef:
    label: str
    action_id: str
    value: str
    block_id: str


@dataclass(frozen=True)
class Rendered:
    text: str
    buttons: tuple[ButtonRef, ...] = field(default=())


def mrkdwn_to_text(text: str) -> str:
    """What a reader sees: dates in their fallback form, entities decoded, bold markers gone."""
    text = _DATE.sub(lambda m: m.group(1), text)
    text = _USER.sub(lambda m: "@" + m.group(1), text)
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _BOLD.sub(lambda m: m.group(1), text)
    text = re.sub(r"```(.*?)```", lambda m: _indent_code(m.group(1)), text, flags=re.S)
    text = _emoji(text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").replace(
        "\u200b", "")


def _indent_code(code: str) -> str:
    return "\n" + "\n".join(f"    {line}" for line in code.strip("\n").splitlines()) + "\n"


def blocks_to_text(blocks: list[dict] | None, fallback: str = "") -> Rendered:
    """Render blocks; buttons are numbered so the console can press them."""
    if not blocks:
        return Rendered(mrkdwn_to_text(fallback))
    lines: list[str] = []
    buttons: list[ButtonRef] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines += ["", f"== {block['text']['text']} =="]
        elif kind == "section":
            lines.append(mrkdwn_to_text(block.get("text", {}).get("text", "")).rstrip())
        elif kind == "context":
            parts = [mrkdwn_to_text(e.get("text", "")) for e in block.get("elements", [])]
            lines.append("  · " + " ".join(parts))
        elif kind == "divider":
            lines.append("-" * 60)
        elif kind == "actions":
            labels = []
            for element in block.get("elements", []):
                if element.get("type") != "button":
                    continue
                buttons.append(ButtonRef(element["text"]["text"], element["action_id"],
                                         element.get("value", ""), block.get("block_id", "")))
                labels.append(f"[{len(buttons)}] {_emoji(element['text']['text'])}")
            lines.append("Buttons: " + "  ".join(labels))
    return Rendered("\n".join(lines).strip("\n"), tuple(buttons))


_EMOJI = {":thumbsup:": "👍", ":thumbsdown:": "👎", ":repeat:": "🔁", ":repeat_one:": "🔂",
          ":warning:": "⚠️", ":no_entry:": "⛔", ":mag:": "🔍", ":grey_question:": "❔",
          ":white_check_mark:": "✅", ":x:": "❌", ":rotating_light:": "🚨",
          ":large_green_circle:": "🟢", ":large_yellow_circle:": "🟡", ":red_circle:": "🔴",
          ":black_circle:": "⚫", ":fast_forward:": "⏩"}
_SHORTCODE = re.compile(r":[a-z0-9_+\-]+:")


def _emoji(text: str) -> str:
    """Slack emoji shortcodes as the characters a terminal can show."""
    return _SHORTCODE.sub(lambda m: _EMOJI.get(m.group(0), m.group(0)), text)

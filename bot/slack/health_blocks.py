"""HealthReport -> Block Kit, within Slack's limits."""

from __future__ import annotations

from bot.health.checks import HealthReport, TargetReport
from bot.health.render import EMOJI, health_summary
from bot.slack.blocks import MAX_BLOCKS, MAX_HEADER, MAX_SECTION, Reply, escape, section
from bot.text import shorten


def health_reply(report: HealthReport) -> Reply:
    """The message for a health report: its one-line summary is the fallback text."""
    return Reply(text=health_summary(report), blocks=health_blocks(report))


def health_blocks(report: HealthReport) -> list[dict]:
    """Block Kit: header, summary, one section per target (split at 3000 chars), context."""
    names = ", ".join(t.name for t in report.targets) or "no targets"
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "emoji": True,
                                    "text": shorten(f"Health: {names}", MAX_HEADER)}},
        section(f"{EMOJI.get(_overall(report), '')} {escape(health_summary(report))}"),
    ]
    footer = {"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
        f"Checked {report.started_at:%Y-%m-%d %H:%M:%S} UTC in "
        f"{report.elapsed_ms / 1000:.1f} s · `errcode health --json` for every field")}]}
    room = MAX_BLOCKS - len(blocks) - 1
    body: list[dict] = []
    last = len(report.targets) - 1
    for i, target in enumerate(report.targets):
        sections = [section(chunk) for chunk in _chunks(_target_lines(target))]
        # Keep one block free for the "more targets" note while targets remain.
        if len(body) + len(sections) + (i < last) > room:
            left = len(report.targets) - i
            body.append({"type": "context", "elements": [{"type": "mrkdwn", "text": escape(
                f"…and {left} more target{'s' if left != 1 else ''} not shown "
                "(see `errcode health`)")}]})
            break
        body += sections
    return blocks + body + [footer]


def _overall(report: HealthReport) -> str:
    rank = ("healthy", "skipped", "degraded", "unhealthy", "unreachable")
    return max((t.status for t in report.targets), key=rank.index, default="skipped")


def _target_lines(t: TargetReport) -> list[str]:
    lines = [f"{EMOJI.get(t.status, '')} *{escape(t.name)}* · {escape(t.product)} · "
             f"*{t.status}*"]
    for c in t.checks:
        parts = [f"{EMOJI.get(c.status, '')} `{_code(c.path)}` {c.status}"]
        if c.http_status is not None:
            parts.append(f"HTTP {c.http_status}")
        if c.latency_ms is not None:
            parts.append(f"{c.latency_ms} ms")
        if "version" in c.info:
            parts.append(f"version {_mrkdwn(c.info['version'])}")
        lines.append(" · ".join(parts))
        if c.status == "healthy":
            continue
        if c.error:
            lines.append(f"      {_mrkdwn(c.error)}")
        if c.summary and c.status != "skipped" and c.reason not in ("components", "status"):
            lines.append(f"      _body:_ {_mrkdwn(c.summary)}")
        if c.hint:
            lines.append(f"      _hint:_ {_mrkdwn(c.hint)}")
        if c.matches:
            lines.append("      _see:_ " + ", ".join(
                f"`{_code(m.code)}` ({escape(m.catalog)})" for m in c.matches))
    return lines


def _chunks(lines: list[str]) -> list[str]:
    """Lines packed into section texts of at most MAX_SECTION characters."""
    out: list[str] = []
    current = ""
    for line in lines:
        line = shorten(line, MAX_SECTION)
        if current and len(current) + 1 + len(line) > MAX_SECTION:
            out.append(current)
            current = line
        else:
            current = f"{current}\n{line}" if current else line
    if current:
        out.append(current)
    return out


def _mrkdwn(text: str) -> str:
    # Server text: escaped, and without backticks/asterisks that would restyle the message.
    return escape(text).replace("`", "'").replace("*", "∗")


def _code(text: str) -> str:
    return escape(text).replace("`", "'")




"""`errcode escalate --from FILE` and `errcode escalations list|show`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from bot.cli.context import MAX_STDIN_BYTES, Context
from bot.core import Core
from bot.errors import ConfigError

if TYPE_CHECKING:
    from bot.escalation.draft import ThreadMessage


def _thread_from(source: str) -> tuple[list[ThreadMessage], str]:
    """Messages from a saved thread: Slack JSON (a message list or a replies response), or
    any text file (one message). Returns the messages and a stable thread key.

    JSON nested too deeply for Python to read is refused with ConfigError (exit 2, one
    line): no Slack thread is more than a few levels deep, so such a file is not the
    thread the person meant, and a packet made of it as text would be stored and shared
    as if errcode had read their thread and found nothing.
    """
    import hashlib

    from bot.escalation.draft import ThreadMessage

    if source == "-":
        raw = sys.stdin.buffer.read(MAX_STDIN_BYTES).decode("utf-8", errors="replace")
        key = "stdin:" + hashlib.sha256(raw.encode()).hexdigest()[:16]
        name = "stdin"
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError("--from", f"{path} does not exist or is not a file")
        raw = path.read_bytes()[:MAX_STDIN_BYTES].decode("utf-8", errors="replace")
        key = f"file:{path.resolve()}"
        name = str(path)
    try:
        try:
            data = json.loads(raw)
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("messages"), list):
            data = data["messages"]
        if isinstance(data, list) and all(isinstance(m, dict) for m in data):
            return [ThreadMessage(ts=_plain(m.get("ts")), user=_plain(m.get("user")) or None,
                                  text=_plain(m.get("text"))) for m in data], key
    except RecursionError:
        raise ConfigError("--from", f"{name} is JSON nested too deeply to be a Slack thread "
                          "(a saved thread is a list of messages, or a conversations.replies "
                          "response); nothing was escalated") from None
    return [ThreadMessage(ts="", user=None, text=raw)], key


def _plain(value: object) -> str:
    """A message field as text: strings as they are, numbers written out, nothing else."""
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return ""


def cmd_escalate(ctx: Context) -> int:
    from bot.escalation.flow import finish_escalation, prepare_escalation
    from bot.escalation.render import packet_json
    from bot.store import open_store

    messages, key = _thread_from(ctx.args.source)
    answers = {}
    for item in ctx.args.answer or []:
        name, sep, value = item.partition("=")
        if not sep:
            raise ConfigError("--answer", f"'{item}' is not KEY=VALUE")
        answers[name.strip()] = value
    with open_store(ctx.settings) as store:
        services = Core.load(ctx.settings, ctx.catalog, store)
        prepared = prepare_escalation(services, messages, thread_key=key, answers=answers)
        if prepared.draft.missing and sys.stdin.isatty() and ctx.args.source != "-":
            print("The escalation checklist still needs (enter to skip):", file=sys.stderr)
            for item in prepared.draft.missing:
                value = input(f"  {item.label}: ").strip()
                if value:
                    answers[item.key] = value
        result = finish_escalation(services, messages, thread_key=key, thread=key,
                                   channel=None, user=os.environ.get("USER"), answers=answers,
                                   run_health=not ctx.args.no_health, prepared=prepared)
    rec = result.record
    if ctx.args.json:
        print(json.dumps({"id": rec.id, "version": rec.version,
                          "packet": packet_json(result.packet)}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(rec.markdown.rstrip() + "\n")
    print(f"errcode: stored as {rec.id} version {rec.version}. {result.private_note}",
          file=sys.stderr)
    if result.email:
        print(f"errcode: email draft: {result.email}", file=sys.stderr)
    return 0


def cmd_escalations_list(ctx: Context) -> int:
    from bot.store import open_store

    with open_store(ctx.settings) as store:
        rows = store.list_packets(ctx.args.limit)
    if ctx.args.json:
        print(json.dumps([{"id": r.id, "version": r.latest_version, "title": r.title,
                           "product": r.product, "thread": r.thread_key, "author": r.author,
                           "created_at": r.created_at, "updated_at": r.updated_at}
                          for r in rows], indent=2))
        return 0
    if not rows:
        print("No escalation packets stored.")
        return 0
    for r in rows:
        print(f"{r.id}  v{r.latest_version}  {r.product or '-':<10} {r.title}")
    return 0


def cmd_escalations_show(ctx: Context) -> int:
    from bot.store import open_store

    with open_store(ctx.settings) as store:
        rec = store.get_packet(ctx.args.id, ctx.args.version)
    if rec is None:
        print(f"errcode: no escalation packet {ctx.args.id}"
              + (f" version {ctx.args.version}" if ctx.args.version else ""), file=sys.stderr)
        return 1
    if ctx.args.json:
        print(json.dumps({"id": rec.id, "version": rec.version, "thread": rec.thread_key,
                          "packet": json.loads(rec.data_json)}, indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(rec.markdown.rstrip() + "\n")
    return 0



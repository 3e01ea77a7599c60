"""The `errcode` command line: the same answers as Slack, without Slack.

Slack libraries are imported only by `serve` (the console needs none), so `lookup` stays
fast. `parser` builds the commands; `commands`, `escalate` and `db` hold them; `context`
loads settings, catalog and core on first use.
"""

from __future__ import annotations

from bot.cli.context import MAX_STDIN_BYTES
from bot.cli.parser import build_parser, main

__all__ = ["MAX_STDIN_BYTES", "build_parser", "main"]

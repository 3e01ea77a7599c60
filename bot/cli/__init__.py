"""The `errcode` command line: the same answers as Slack, without Slack.

Slack libraries are imported only by `serve` (the console needs none), so `lookup` stays
fast. `parser` builds the commands (only the one being run) and imports a command's code
when it runs; `commands`, `escalate` and `db` hold them; `context` loads settings,
catalog and core on first use. A short command starts from errcode's caches
(`bot.caches`: the compiled regexes; `bot.catalog.cache`: the parsed catalog), so
`errcode lookup` needs neither YAML nor msgspec and compiles no regex it compiled before.
"""

from __future__ import annotations

from bot.cli.context import MAX_STDIN_BYTES
from bot.cli.parser import build_parser, main

__all__ = ["MAX_STDIN_BYTES", "build_parser", "main"]

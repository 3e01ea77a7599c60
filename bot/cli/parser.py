"""The `errcode` argument parser and `main`: exit 0 done (lookup: a documented error
was found), 1 nothing found / unhealthy, 2 bad usage, configuration or catalog."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Callable, Sequence
from importlib import import_module
from typing import TYPE_CHECKING, Any

from bot import __version__
from bot.errors import ErrcodeError

if TYPE_CHECKING:
    from bot.cli.context import Context

# The subcommands, as typed first on the command line.
COMMANDS = ("lookup", "redact", "catalog", "config", "health", "serve", "escalate",
            "escalations", "db", "probe", "report", "shell")
# The commands that print an answer and exit (the rest may run long or go to the network).
_ANSWER_AT_ONCE = frozenset({"lookup", "redact", "catalog"})
_LOG_LEVELS = ("CRITICAL", "FATAL", "ERROR", "WARN", "WARNING", "INFO", "DEBUG", "NOTSET")


class _Command:
    """A subcommand's function, imported when the command runs (not when the parser is
    built), so `errcode --version` or `lookup` loads no other command's code."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name

    @property
    def function(self) -> Callable[[Context], int]:
        return getattr(import_module(f"bot.cli.{self.module}"), self.name)

    def __call__(self, ctx: Context) -> int:
        return self.function(ctx)

    def __repr__(self) -> str:
        return f"bot.cli.{self.module}.{self.name}"


class _NotBuilt:
    """Stands in for the parsers of the subcommands not being run."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: self


_NOT_BUILT = _NotBuilt()


cmd_catalog_check = _Command("commands", "cmd_catalog_check")
cmd_catalog_list = _Command("commands", "cmd_catalog_list")
cmd_catalog_schema = _Command("commands", "cmd_catalog_schema")
cmd_config_check = _Command("commands", "cmd_config_check")
cmd_health = _Command("commands", "cmd_health")
cmd_lookup = _Command("commands", "cmd_lookup")
cmd_probe = _Command("commands", "cmd_probe")
cmd_redact = _Command("commands", "cmd_redact")
cmd_report_feedback = _Command("commands", "cmd_report_feedback")
cmd_report_unmatched = _Command("commands", "cmd_report_unmatched")
cmd_serve = _Command("commands", "cmd_serve")
cmd_shell = _Command("commands", "cmd_shell")
cmd_db_check = _Command("db", "cmd_db_check")
cmd_db_upgrade = _Command("db", "cmd_db_upgrade")
cmd_escalate = _Command("escalate", "cmd_escalate")
cmd_escalations_list = _Command("escalate", "cmd_escalations_list")
cmd_escalations_show = _Command("escalate", "cmd_escalations_show")


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser of every subcommand; with `only`, of that one alone (what a run of it
    needs: building all of them is a tenth of `lookup`'s start); with "", of none."""
    parser = argparse.ArgumentParser(prog="errcode",
                                     description="Support triage for pasted errors.")
    parser.add_argument("--version", action="version", version=f"errcode {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="errcode.yml to read (default: $ERRCODE_CONFIG or ./errcode.yml)")
    common.add_argument("--catalog", metavar="DIR", help="catalog directory to use")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, **kwargs: Any) -> Any:
        if only is not None and name != only:
            return _NOT_BUILT
        return subparsers.add_parser(name, **kwargs)

    p = add("lookup", parents=[common], help="triage pasted text or a code")
    p.add_argument("text", nargs="*", help="the paste; '-' or nothing reads stdin")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--product", help="assume this product when the paste does not say")
    p.set_defaults(func=cmd_lookup, logs=False)

    p = add("redact", help="replace the secrets in a log or paste before sharing it",
                       description="Print FILE (or stdin) with every secret replaced by a "
                       "placeholder such as [REDACTED:password#1]. Exit 0; with --check, 1 when "
                       "something was redacted (for pre-commit and CI); 2 when FILE cannot be "
                       "read or is over 8 MB.")
    p.add_argument("file", nargs="?", default="-", metavar="FILE",
                   help="the text to clean; '-' or nothing reads stdin")
    p.add_argument("--json", action="store_true",
                   help="what was found (kind, line, column, placeholder; never the value) "
                   "and the redacted text")
    p.add_argument("--check", action="store_true", help="list where secrets are instead of "
                   "printing the text; exit 1 when there are any")
    p.add_argument("--config", metavar="PATH", help="errcode.yml whose redact_patterns to add "
                   "(default: $ERRCODE_CONFIG or ./errcode.yml)")
    p.set_defaults(func=cmd_redact, logs=False)

    cat = add("catalog", help="list or check the catalog, or print its schema")
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    p = cat_sub.add_parser("list", parents=[common], help="list codes")
    p.add_argument("product", nargs="?")
    p.set_defaults(func=cmd_catalog_list, logs=False)
    p = cat_sub.add_parser("check", parents=[common], help="validate a catalog directory")
    p.add_argument("dir", nargs="?")
    p.set_defaults(func=cmd_catalog_check, logs=False)
    p = cat_sub.add_parser("schema", help="print the JSON Schema of a catalog file "
                           "(shipped as catalog/catalog.schema.json)")
    p.set_defaults(func=cmd_catalog_schema, logs=False)

    cfg = add("config", help="check errcode.yml and the environment")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    p = cfg_sub.add_parser("check", parents=[common], help="validate settings")
    p.set_defaults(func=cmd_config_check)

    p = add("health", parents=[common], help="check the configured deployments")
    p.add_argument("target", nargs="*", help="target names (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_health)

    p = add("serve", parents=[common], help="run the Slack bot (Socket Mode "
                       "when SLACK_APP_TOKEN is set, else HTTP)")
    p.add_argument("--http", action="store_true", help="HTTP mode on /slack/events")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, help="HTTP port (default $PORT or 3000)")
    p.add_argument("--metrics-port", type=int, help="Socket Mode: serve /metrics and /healthz "
                   "on this port (default $ERRCODE_METRICS_PORT, else none)")
    p.set_defaults(func=cmd_serve, long_running=True)

    p = add("escalate", parents=[common],
                       help="build a support-escalation packet from a saved thread or log")
    p.add_argument("--from", dest="source", required=True, metavar="FILE",
                   help="Slack thread JSON, or any text/log file ('-' for stdin)")
    p.add_argument("--answer", action="append", metavar="KEY=VALUE",
                   help="a checklist answer, e.g. version=3.4.1 (repeatable)")
    p.add_argument("--no-health", action="store_true", help="do not run health checks")
    p.add_argument("--json", action="store_true", help="the packet as JSON")
    p.set_defaults(func=cmd_escalate)

    esc = add("escalations", help="stored escalation packets")
    esc_sub = esc.add_subparsers(dest="escalations_command", metavar="ACTION", required=True)
    p = esc_sub.add_parser("list", parents=[common], help="newest first")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_escalations_list)
    p = esc_sub.add_parser("show", parents=[common], help="one packet (latest version)")
    p.add_argument("id")
    p.add_argument("--version", type=int)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_escalations_show)

    db = add("db", help="the state store: schema version and migrations "
                        "(storage_url / ERRCODE_STORAGE_URL)")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db_sub.add_parser("check", parents=[common], help="exit 0 when the schema is the "
                          "latest, 1 when behind, 2 when the database is unreachable")
    p.set_defaults(func=cmd_db_check)
    p = db_sub.add_parser("upgrade", parents=[common],
                          help="migrate to the latest schema (safe beside running replicas)")
    p.set_defaults(func=cmd_db_upgrade)

    p = add("probe", help="liveness probe of a running `serve --http`")
    p.add_argument("--port", type=int, help="default $PORT or 3000")
    p.set_defaults(func=cmd_probe)

    rep = add("report", help="what users asked that the catalog lacks")
    rep_sub = rep.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    p = rep_sub.add_parser("unmatched", parents=[common],
                           help="most frequent pastes with no confident match (redacted)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report_unmatched)
    p = rep_sub.add_parser("feedback", parents=[common], help="helpful / not helpful votes")
    p.set_defaults(func=cmd_report_feedback)

    p = add("shell", parents=[common],
                       help="the console: ask and press buttons as in Slack, in your terminal")
    p.set_defaults(func=cmd_shell, long_running=True)
    return parser


def plain_lookup(words: Sequence[str]) -> argparse.Namespace | None:
    """`lookup` with nothing but the text (and `--json` before or after it), parsed as the
    parser would, without building one (argparse's work, ~2 % of a lookup's start); None
    for any other command line (an option, a `-x` word, `--help`): the parser reads those.
    tests/test_cli_start.py holds the two to the same answers."""
    if not words or words[0] != "lookup":
        return None
    text = list(words[1:])
    as_json = bool(text) and "--json" in (text[0], text[-1])
    if as_json:
        text.remove("--json")
    if any(word.startswith("-") and word != "-" for word in text):
        return None
    return argparse.Namespace(command="lookup", config=None, catalog=None, text=text,
                              json=as_json, product=None, func=cmd_lookup, logs=False)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command. Without `argv`, main is the program itself (`errcode`, `python -m
    bot`: this process's command line), and once lookup, redact or catalog has answered
    it ends the process at once (`_exit_at_once`)."""
    words = sys.argv[1:] if argv is None else list(argv)
    args = plain_lookup(words)
    if args is None:
        # `--version` first is answered before any command is read: none is built.
        first = words[0] if words else None
        parser = build_parser(first if first in COMMANDS else "" if first == "--version"
                              else None)
        args = parser.parse_args(words)
        if not getattr(args, "func", None):
            parser.print_help()
            return 2
    # The commands that answer at once exit within a moment, and reference counting frees
    # what they make: the cyclic collector would only walk the modules being imported,
    # again and again (5 ms of a lookup's 65), so it stays off until they return (and,
    # when the process ends at once, to the end: turned on, it would first go through
    # everything made since).
    collecting = gc.isenabled()
    if args.command in _ANSWER_AT_ONCE:
        gc.disable()
    try:
        code = _run(args)
        if argv is None and args.command in _ANSWER_AT_ONCE:
            _exit_at_once(code)
    finally:
        if collecting:
            gc.enable()
    return code


def _exit_at_once(code: int) -> None:
    """End the process with `code` as Python's exit would (output flushed), without taking
    the interpreter apart first: that teardown collects and frees every module, ~30M
    instructions (7 %) of a lookup, and these commands leave nothing for it to do (no
    thread, no exit handler, no file open). When something unusual is about (a tracer or
    profiler, another thread, an exit handler, a flush that fails), it returns and Python
    exits as usual."""
    import atexit
    import threading

    if (sys.gettrace() is not None or sys.getprofile() is not None
            or threading.active_count() > 1 or getattr(atexit, "_ncallbacks", lambda: 1)()):
        return
    try:
        sys.stdout.flush()
        sys.stderr.flush()
    except Exception:  # e.g. a closed pipe: Python's own exit reports it as it always has
        return
    os._exit(code)


def _run(args: argparse.Namespace) -> int:
    from bot.caches import compiled_regexes
    from bot.cli.context import Context

    # A short command imports triage and redaction with the regexes compiled last time;
    # serve and shell run for long, so they compile theirs as usual.
    try:
        with compiled_regexes(enabled=not getattr(args, "long_running", False)):
            # lookup, redact and catalog print their answer and log nothing (nothing
            # they run imports logging: tests/test_cli.py holds it), so they skip it.
            if getattr(args, "logs", True):
                from bot.logs import configure_logging

                # The CLI prints its answers; logs are for the server: only errors show.
                level = os.environ.get("ERRCODE_LOG_LEVEL", "ERROR").upper()
                configure_logging(level if level in _LOG_LEVELS else "ERROR",
                                  text_format="%(levelname)s %(name)s %(message)s")
            return args.func(Context(args))
    except ErrcodeError as err:
        print(f"errcode: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

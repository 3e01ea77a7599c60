"""The `errcode` command line: the same answers as Slack, without Slack.

Slack libraries are imported only by `serve` (the console needs none), so `lookup` stays fast.
Exit status: 0 done (lookup: a documented error was found), 1 nothing found /
unhealthy, 2 bad usage, configuration or catalog.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from bot import __version__
from bot.catalog.load import check_catalog, load_catalog
from bot.catalog.model import Catalog
from bot.catalog.render import catalog_text
from bot.config import Settings, load_settings
from bot.core import Core
from bot.errors import ConfigError, ErrcodeError
from bot.logs import configure_logging
from bot.triage.engine import TriageEngine, TriageHints
from bot.triage.render import triage_text

MAX_STDIN_BYTES = 8 * 1024 * 1024


@dataclass
class Context:
    """What every subcommand may need, loaded only when first used."""

    args: argparse.Namespace

    @cached_property
    def settings(self) -> Settings:
        return load_settings(self.args.config)

    @cached_property
    def catalog(self) -> Catalog:
        directory = getattr(self.args, "catalog", None) or self.settings.catalog_dir
        catalog = load_catalog(directory, strict=False)
        for problem in catalog.problems:
            print(f"errcode: warning: skipped broken catalog file: {problem}", file=sys.stderr)
        return catalog

    @cached_property
    def services(self) -> Core:
        return Core.load(self.settings, self.catalog)

    @property
    def engine(self) -> TriageEngine:
        return self.services.engine

    def hints(self, product: str | None = None) -> TriageHints:
        return self.services.hints(product=product)


def _read_text(parts: Sequence[str]) -> str:
    if list(parts) == ["-"] or not parts:
        data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
        if len(data) > MAX_STDIN_BYTES:
            print(f"errcode: input over {MAX_STDIN_BYTES // (1024 * 1024)} MB: reading only the "
                  "first part", file=sys.stderr)
        return data[:MAX_STDIN_BYTES].decode("utf-8", errors="replace")
    return " ".join(parts)


def cmd_lookup(ctx: Context) -> int:
    text = _read_text(ctx.args.text)
    if not text.strip():
        print("errcode: nothing to look up: give a code, an error message or '-' for stdin",
              file=sys.stderr)
        return 2
    product = ctx.args.product
    if product and ctx.catalog.find_product(product) is None:
        print(f"errcode: unknown product '{product}' (have: "
              f"{', '.join(ctx.catalog.products)})", file=sys.stderr)
        return 2
    if product:
        product = ctx.catalog.find_product(product).catalog  # type: ignore[union-attr]
    result = ctx.engine.triage(text, ctx.hints(product))
    if ctx.args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(triage_text(result, ctx.catalog.products))
    return 0 if result.confident else 1


def cmd_redact(ctx: Context) -> int:
    """The text with its secrets replaced (bytes around them kept as they were); --json
    lists what was found, never a value; --check exits 1 when something was redacted."""
    from bot.redact import Redactor

    source = ctx.args.file
    name = "stdin" if source == "-" else source
    try:
        if source == "-":
            data = sys.stdin.buffer.read(MAX_STDIN_BYTES + 1)
        else:
            with Path(source).expanduser().open("rb") as stream:
                data = stream.read(MAX_STDIN_BYTES + 1)
    except OSError as err:
        print(f"errcode: cannot read {name}: {err.strerror or err}", file=sys.stderr)
        return 2
    if len(data) > MAX_STDIN_BYTES:
        print(f"errcode: {name} is over {MAX_STDIN_BYTES // (1024 * 1024)} MB: nothing "
              "redacted; split it (e.g. `split -b 8m`) and redact each part", file=sys.stderr)
        return 2
    result = Redactor(ctx.settings.redact_patterns).result(
        data.decode("utf-8", errors="surrogateescape"))
    findings = result.findings or ()
    if ctx.args.json:
        text = result.text.encode("utf-8", "surrogateescape").decode("utf-8", "replace")
        doc = {"source": name, "count": result.count, "kinds": result.kinds,
               "findings": [{"kind": f.kind, "line": f.line, "column": f.column,
                             "placeholder": f.placeholder} for f in findings],
               "text": text}
        print(json.dumps(doc, indent=2, ensure_ascii=False))
    elif ctx.args.check:
        for f in findings:
            print(f"{name}:{f.line}:{f.column}: {f.kind} {f.placeholder}")
    else:
        sys.stdout.flush()
        sys.stdout.buffer.write(result.text.encode("utf-8", "surrogateescape"))
        sys.stdout.buffer.flush()
    if not ctx.args.json:
        secrets, places = sum(result.kinds.values()), result.count
        kinds = ", ".join(f"{kind} {n}" for kind, n in sorted(result.kinds.items()))
        print(f"errcode: {name}: " + (
            f"{secrets} secret{'s' * (secrets != 1)} redacted in {places} "
            f"place{'s' * (places != 1)} ({kinds})" if places else "nothing to redact"),
            file=sys.stderr)
    return 1 if ctx.args.check and result.count else 0


def cmd_catalog_list(ctx: Context) -> int:
    product = None
    if ctx.args.product:
        found = ctx.catalog.find_product(ctx.args.product)
        if found is None:
            print(f"errcode: unknown product '{ctx.args.product}' (have: "
                  f"{', '.join(ctx.catalog.products)})", file=sys.stderr)
            return 2
        product = found.catalog
    sys.stdout.write(catalog_text(ctx.catalog, product))
    return 0


def cmd_catalog_check(ctx: Context) -> int:
    directory = ctx.args.dir or getattr(ctx.args, "catalog", None)
    if directory is None:
        try:
            directory = ctx.settings.catalog_dir
        except ErrcodeError:
            directory = None
    problems = check_catalog(directory)
    if problems:
        for problem in problems:
            print(f"error: {problem}")
        return 1
    catalog = load_catalog(directory)
    print(f"ok: {len(catalog.products)} catalogs, {len(catalog.entries)} entries "
          f"({', '.join(f'{n}: {len(catalog.by_catalog(n))}' for n in catalog.products)})")
    return 0


def cmd_catalog_schema(ctx: Context) -> int:
    """The JSON Schema of a catalog file, from the shapes the loader validates with."""
    from bot.catalog.shapes import catalog_schema_text

    sys.stdout.write(catalog_schema_text())
    return 0


def cmd_config_check(ctx: Context) -> int:
    services = ctx.services  # validates products and the health section against the catalog
    settings = services.settings
    print(f"ok: {settings.source or 'no errcode.yml (defaults and environment)'}")
    print(f"  catalog: {len(ctx.catalog.entries)} entries in {', '.join(ctx.catalog.products)}")
    targets = services.health.targets
    print(f"  health targets: {', '.join(t.name for t in targets) or 'none'}")
    print(f"  storage: {settings.store_url_shown}")
    slack = settings.slack
    mode = "socket" if slack.app_token else "http" if slack.signing_secret else "not configured"
    print(f"  slack: {mode}" + ("" if slack.bot_token else " (no SLACK_BOT_TOKEN: use "
                                                       "`errcode shell` to try locally)"))
    return 0


def cmd_health(ctx: Context) -> int:
    from bot.health.render import health_json, health_text

    services = ctx.services
    if not services.health.targets:
        print("errcode: no health targets configured (health.targets in errcode.yml)",
              file=sys.stderr)
        return 2
    report = services.check_health(ctx.args.target)
    if ctx.args.json:
        print(json.dumps(health_json(report), indent=2))
    else:
        sys.stdout.write(health_text(report))
    return 0 if report.ok else 1


def cmd_shell(ctx: Context) -> int:
    from bot.console import run_console

    return run_console(ctx.settings, ctx.catalog)


def cmd_serve(ctx: Context) -> int:
    from bot.slack.run import serve
    from bot.store import open_store

    # Migrate before serving: under a lock (PostgreSQL advisory lock, SQLite BEGIN
    # IMMEDIATE), so replicas started together migrate once and the others wait.
    open_store(ctx.settings).close()
    return serve(ctx.settings, ctx.catalog, http=ctx.args.http, host=ctx.args.host,
                 port=ctx.args.port)


def cmd_report_unmatched(ctx: Context) -> int:
    from bot.store import open_store

    with open_store(ctx.settings) as store:
        rows = store.top_unmatched(ctx.args.limit)
    if ctx.args.json:
        print(json.dumps([{"count": r.count, "text": r.text, "product": r.product,
                           "nearest": r.nearest, "last_seen": r.last_seen} for r in rows],
                         indent=2))
        return 0
    if not rows:
        print("No unmatched queries recorded.")
        return 0
    print(f"{'count':>5}  {'nearest':<36} paste (redacted)")
    for r in rows:
        text = " ".join(r.text.split())
        print(f"{r.count:>5}  {(r.nearest or '-'):<36} {text[:100]}")
    return 0


def cmd_report_feedback(ctx: Context) -> int:
    from bot.store import open_store

    with open_store(ctx.settings) as store:
        rows = store.feedback_summary()
    if not rows:
        print("No feedback recorded.")
        return 0
    print(f"{'helpful':>7} {'not':>5}  entry")
    for r in rows:
        print(f"{r.helpful:>7} {r.not_helpful:>5}  {r.catalog}:{r.code}")
    return 0


def cmd_probe(ctx: Context) -> int:
    """Liveness for container HEALTHCHECKs: GET /healthz of the local HTTP server."""
    import httpx

    if os.environ.get("SLACK_APP_TOKEN") and not ctx.args.port:
        return 0  # Socket Mode: no port to probe; the process being alive is the check
    port = ctx.args.port or int(os.environ.get("PORT") or 3000)
    try:
        ok = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=3).status_code == 200
    except httpx.HTTPError as err:
        print(f"errcode: /healthz on port {port} did not answer ({type(err).__name__})",
              file=sys.stderr)
        return 1
    return 0 if ok else 1


def _thread_from(source: str) -> tuple[list, str]:
    """Messages from a saved thread: Slack JSON (a message list or a replies response), or
    any text file (one message). Returns the messages and a stable thread key."""
    import hashlib

    from bot.escalation.draft import ThreadMessage

    if source == "-":
        raw = sys.stdin.buffer.read(MAX_STDIN_BYTES).decode("utf-8", errors="replace")
        key = "stdin:" + hashlib.sha256(raw.encode()).hexdigest()[:16]
    else:
        path = Path(source).expanduser()
        if not path.is_file():
            raise ConfigError("--from", f"{path} does not exist or is not a file")
        raw = path.read_bytes()[:MAX_STDIN_BYTES].decode("utf-8", errors="replace")
        key = f"file:{path.resolve()}"
    try:
        data = json.loads(raw)
    except ValueError:
        data = None
    if isinstance(data, dict) and isinstance(data.get("messages"), list):
        data = data["messages"]
    if isinstance(data, list) and all(isinstance(m, dict) for m in data):
        return [ThreadMessage(ts=str(m.get("ts", "")), user=m.get("user"),
                              text=str(m.get("text") or "")) for m in data], key
    return [ThreadMessage(ts="", user=None, text=raw)], key


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


def cmd_db_check(ctx: Context) -> int:
    """0: the schema is the latest; 1: behind (or newer than this errcode); 2: unreachable."""
    from bot.store import LATEST, StoreError, schema_version_at

    shown = ctx.settings.store_url_shown
    try:
        version = schema_version_at(ctx.settings.store_url)
    except StoreError as err:
        print(f"errcode: storage unreachable: {err}", file=sys.stderr)
        return 2
    if version == LATEST:
        print(f"ok: {shown} is at schema version {version} (the latest)")
        return 0
    if version > LATEST:
        print(f"newer: {shown} is at schema version {version}, newer than this errcode "
              f"({LATEST}): upgrade errcode")
        return 1
    print(f"behind: {shown} is at schema version {version}, the latest is {LATEST}: "
          "run `errcode db upgrade`")
    return 1


def cmd_db_upgrade(ctx: Context) -> int:
    """Migrate to the latest schema; safe while replicas run or start (it takes a lock)."""
    from bot.store import Store, StoreError

    shown = ctx.settings.store_url_shown
    try:
        with Store(ctx.settings.store_url, migrate=False, create=True) as store:
            before, after = store.migrate()
    except StoreError as err:
        reachable = "newer than this errcode" in err.detail
        print(f"errcode: {'cannot upgrade' if reachable else 'storage unreachable'}: {err}",
              file=sys.stderr)
        return 1 if reachable else 2
    if before == after:
        print(f"ok: {shown} is already at schema version {after} (the latest)")
    else:
        print(f"upgraded: {shown} from schema version {before} to {after}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="errcode",
                                     description="Support triage for pasted errors.")
    parser.add_argument("--version", action="version", version=f"errcode {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", metavar="PATH",
                        help="errcode.yml to read (default: $ERRCODE_CONFIG or ./errcode.yml)")
    common.add_argument("--catalog", metavar="DIR", help="catalog directory to use")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    p = sub.add_parser("lookup", parents=[common], help="triage pasted text or a code")
    p.add_argument("text", nargs="*", help="the paste; '-' or nothing reads stdin")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--product", help="assume this product when the paste does not say")
    p.set_defaults(func=cmd_lookup)

    p = sub.add_parser("redact", help="replace the secrets in a log or paste before sharing it",
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
    p.set_defaults(func=cmd_redact)

    cat = sub.add_parser("catalog", help="list or check the catalog, or print its schema")
    cat_sub = cat.add_subparsers(dest="catalog_command", metavar="ACTION", required=True)
    p = cat_sub.add_parser("list", parents=[common], help="list codes")
    p.add_argument("product", nargs="?")
    p.set_defaults(func=cmd_catalog_list)
    p = cat_sub.add_parser("check", parents=[common], help="validate a catalog directory")
    p.add_argument("dir", nargs="?")
    p.set_defaults(func=cmd_catalog_check)
    p = cat_sub.add_parser("schema", help="print the JSON Schema of a catalog file "
                           "(shipped as catalog/catalog.schema.json)")
    p.set_defaults(func=cmd_catalog_schema)

    cfg = sub.add_parser("config", help="check errcode.yml and the environment")
    cfg_sub = cfg.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    p = cfg_sub.add_parser("check", parents=[common], help="validate settings")
    p.set_defaults(func=cmd_config_check)

    p = sub.add_parser("health", parents=[common], help="check the configured deployments")
    p.add_argument("target", nargs="*", help="target names (default: all)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_health)

    p = sub.add_parser("serve", parents=[common], help="run the Slack bot (Socket Mode "
                       "when SLACK_APP_TOKEN is set, else HTTP)")
    p.add_argument("--http", action="store_true", help="HTTP mode on /slack/events")
    p.add_argument("--host", default="0.0.0.0")
    p.add_argument("--port", type=int, help="HTTP port (default $PORT or 3000)")
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("escalate", parents=[common],
                       help="build a support-escalation packet from a saved thread or log")
    p.add_argument("--from", dest="source", required=True, metavar="FILE",
                   help="Slack thread JSON, or any text/log file ('-' for stdin)")
    p.add_argument("--answer", action="append", metavar="KEY=VALUE",
                   help="a checklist answer, e.g. version=3.4.1 (repeatable)")
    p.add_argument("--no-health", action="store_true", help="do not run health checks")
    p.add_argument("--json", action="store_true", help="the packet as JSON")
    p.set_defaults(func=cmd_escalate)

    esc = sub.add_parser("escalations", help="stored escalation packets")
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

    db = sub.add_parser("db", help="the state store: schema version and migrations "
                        "(storage_url / ERRCODE_STORAGE_URL)")
    db_sub = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    p = db_sub.add_parser("check", parents=[common], help="exit 0 when the schema is the "
                          "latest, 1 when behind, 2 when the database is unreachable")
    p.set_defaults(func=cmd_db_check)
    p = db_sub.add_parser("upgrade", parents=[common],
                          help="migrate to the latest schema (safe beside running replicas)")
    p.set_defaults(func=cmd_db_upgrade)

    p = sub.add_parser("probe", help="liveness probe of a running `serve --http`")
    p.add_argument("--port", type=int, help="default $PORT or 3000")
    p.set_defaults(func=cmd_probe)

    rep = sub.add_parser("report", help="what users asked that the catalog lacks")
    rep_sub = rep.add_subparsers(dest="report_command", metavar="ACTION", required=True)
    p = rep_sub.add_parser("unmatched", parents=[common],
                           help="most frequent pastes with no confident match (redacted)")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_report_unmatched)
    p = rep_sub.add_parser("feedback", parents=[common], help="helpful / not helpful votes")
    p.set_defaults(func=cmd_report_feedback)

    p = sub.add_parser("shell", parents=[common],
                       help="the console: ask and press buttons as in Slack, in your terminal")
    p.set_defaults(func=cmd_shell)
    return parser



def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The CLI prints its answers; logs are for the server, so only errors show here.
    level = os.environ.get("ERRCODE_LOG_LEVEL", "ERROR").upper()
    configure_logging(level if level in logging.getLevelNamesMapping() else "ERROR",
                      text_format="%(levelname)s %(name)s %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return args.func(Context(args))
    except ErrcodeError as err:
        print(f"errcode: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return 0

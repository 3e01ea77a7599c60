"""`errcode` subcommands that answer at once: lookup, redact, catalog, config, health,
shell, serve, report, probe. Each imports what only it needs inside itself."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from bot.catalog.load import check_catalog, load_catalog
from bot.catalog.render import catalog_text
from bot.cli.context import MAX_STDIN_BYTES, Context, read_text
from bot.errors import ErrcodeError
from bot.redact import Redactor
from bot.triage.render import triage_text


def cmd_lookup(ctx: Context) -> int:
    text = read_text(ctx.args.text)
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
    result = result.redacted(Redactor(ctx.settings.redact_patterns).redact)
    if ctx.args.json:
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False))
    else:
        sys.stdout.write(triage_text(result, ctx.catalog.products))
    return 0 if result.confident else 1


def cmd_redact(ctx: Context) -> int:
    """The text with its secrets replaced (bytes around them kept as they were); --json
    lists what was found, never a value; --check exits 1 when something was redacted."""
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
                 port=ctx.args.port, ops_port=ctx.args.metrics_port)


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



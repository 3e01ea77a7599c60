"""The `errcode` command line, run as a user runs it: a real process."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def errcode(*args: str, stdin: str | None = None, env: dict | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=cwd or ROOT, env=env, timeout=60)


def test_lookup_json_has_the_documented_shape():
    paste = ('HTTP/1.1 429 Too Many Requests\nRetry-After: 45\nX-RateLimit-Reset: 1714478400\n'
             '{"error":{"code":"rate_limited","message":"Too many requests",'
             '"request_id":"req_9f8e7d"}}')
    out = errcode("lookup", "--json", "-", stdin=paste)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["query"] == paste
    assert data["extracted"] == {"codes": ["rate_limited"], "http_status": 429,
                                 "request_ids": ["req_9f8e7d"], "retry_after_s": 45,
                                 "rate_limit_reset": 1714478400, "product": "scaivault"}
    top = data["matches"][0]
    assert (top["catalog"], top["code"], top["http_status"], top["confident"]) == (
        "scaivault", "rate_limited", 429, True)
    assert top["retry"]["policy"] == "yes"
    assert "45 s" in top["retry"]["advice"]
    assert top["resolution"] and top["evidence"] and top["title"]
    assert isinstance(top["score"], float)
    assert len(data["matches"]) <= 5


def test_lookup_text_answer_is_readable():
    out = errcode("lookup", "VERSON_CONFLICT")
    assert out.returncode == 0
    assert "VERSION_CONFLICT · MazeVault · HTTP 409" in out.stdout
    assert "Refresh and retry the operation" in out.stdout
    assert "looks like `VERSION_CONFLICT`" in out.stdout


def test_lookup_reads_stdin_with_dash():
    out = errcode("lookup", "-", stdin='{"error":"CSRF_INVALID"}')
    assert out.returncode == 0
    assert "CSRF_INVALID" in out.stdout


def test_lookup_with_no_match_says_so_and_exits_1():
    out = errcode("lookup", "lunch at noon?")
    assert out.returncode == 1
    assert "No documented error recognised" in out.stdout


def test_lookup_product_option_and_unknown_product():
    out = errcode("lookup", "--json", "--product", "scai vault", "rate limited")
    assert json.loads(out.stdout)["matches"][0]["catalog"] == "scaivault"
    bad = errcode("lookup", "--product", "nosuch", "rate limited")
    assert bad.returncode == 2 and "unknown product 'nosuch'" in bad.stderr


def test_lookup_does_not_import_slack():
    code = ("import sys; from bot.cli import main; main(['lookup', '--json', 'RATE_LIMITED']); "
            "print([m for m in sys.modules if m.startswith('slack')], file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=ROOT, timeout=60)
    assert out.stderr.strip().splitlines()[-1] == "[]"


def test_catalog_list_and_filter():
    out = errcode("catalog", "list", "scaivault")
    assert out.returncode == 0
    assert "policy_in_use" in out.stdout and "RATE_LIMITED" not in out.stdout
    assert errcode("catalog", "list", "nosuch").returncode == 2


def test_catalog_check_ok_and_broken(tmp_path):
    ok = errcode("catalog", "check")
    assert ok.returncode == 0 and ok.stdout.startswith("ok: 2 catalogs")
    broken = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", broken)
    path = broken / "scaivault.yml"
    text = path.read_text()
    start = text.index("code: rate_limited")
    policy_at = text.index("policy:", start)
    line_end = text.index("\n", policy_at)
    path.write_text(text[:policy_at] + "policy: maybe" + text[line_end:])
    out = errcode("catalog", "check", str(broken))
    assert out.returncode == 1
    assert ("catalog/scaivault.yml: entries[42] (rate_limited): retry.policy: must be one of "
            "no, rarely, yes, once (got 'maybe')") in out.stdout


def test_broken_catalog_file_is_skipped_with_a_warning_and_lookup_still_answers(tmp_path):
    broken = tmp_path / "catalog"
    shutil.copytree(ROOT / "catalog", broken)
    (broken / "scaivault.yml").write_text("entries: [\n")
    out = errcode("lookup", "--catalog", str(broken), "RATE_LIMITED")
    assert out.returncode == 0
    assert "skipped broken catalog file" in out.stderr
    assert "RATE_LIMITED" in out.stdout


def test_team_catalog_directory(tmp_path):
    team = tmp_path / "catalog"
    team.mkdir()
    (team / "acme.yml").write_text(
        "product: {name: Acme API, code_style: upper_snake}\n"
        "entries:\n"
        "  - {code: WIDGET_JAMMED, http_status: 503, meaning: The widget press is jammed.,"
        " resolution: [Clear the press.]}\n")
    out = errcode("lookup", "--json", "--catalog", str(team), "WIDGET_JAMED")
    top = json.loads(out.stdout)["matches"][0]
    assert (top["catalog"], top["code"]) == ("acme", "WIDGET_JAMMED")


def test_bad_config_names_the_key(tmp_path):
    cfg = tmp_path / "errcode.yml"
    cfg.write_text("slack:\n  listener_threads: 0\n")
    out = errcode("config", "check", "--config", str(cfg))
    assert out.returncode == 2
    assert "slack.listener_threads" in out.stderr
    missing = errcode("lookup", "--config", str(tmp_path / "nope.yml"), "RATE_LIMITED")
    assert missing.returncode == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("args", [["lookup"], ["bogus"]])
def test_usage_errors_exit_2(args):
    out = errcode(*args, stdin="")
    assert out.returncode == 2


# --------------------------------------------------------------------------- cold start

LOOKUP_MODULES = (
    "import sys; from bot.cli import main; main(['lookup', '--json', 'RATE_LIMITED']); "
    "print(' '.join(sorted(m for m in sys.modules if m.split('.')[0] in {0})), "
    "file=sys.stderr)")
# Network, async, Slack, storage, health and escalation code; and logging, which lookup
# does not configure because nothing on its path logs (so its answer needs no redacting
# log handler).
NEVER_IN_LOOKUP = ("httpx", "httpcore", "slack_sdk", "slack_bolt", "asyncio", "ssl",
                   "sqlite3", "psycopg", "waitress", "logging", "bot.store", "bot.slack",
                   "bot.health.checks", "bot.health.targets", "bot.escalation", "bot.console")
PARSERS = ("yaml", "msgspec")
# Fuzzy matching, imported at the first typo: a documented code written exactly needs none.
FUZZY = ("rapidfuzz",)


def lookup_modules(cache: Path) -> set[str]:
    names = {n.split(".")[0] for n in NEVER_IN_LOOKUP + PARSERS + FUZZY} | {"bot"}
    out = subprocess.run([sys.executable, "-c", LOOKUP_MODULES.format(sorted(names))],
                         capture_output=True, text=True, cwd=ROOT, timeout=60,
                         env={"PATH": "/usr/bin:/bin", "ERRCODE_CACHE_DIR": str(cache)})
    assert out.returncode == 0, out.stderr
    return set(out.stderr.strip().splitlines()[-1].split())


def test_lookup_imports_only_what_it_uses(tmp_path):
    """No network, async, Slack, store, health or logging code; with the caches warm (a
    second run), no YAML or msgspec either: the catalog and config come without parsing."""
    cold = lookup_modules(tmp_path / "cache")
    assert "bot.triage.engine" in cold and "bot.redact" in cold  # what lookup does use
    for module in NEVER_IN_LOOKUP + FUZZY:
        assert module not in cold, module
    warm = lookup_modules(tmp_path / "cache")
    for module in NEVER_IN_LOOKUP + PARSERS + FUZZY:
        assert module not in warm, module


def test_the_startup_caches_change_no_answer(tmp_path):
    paste = ('HTTP/1.1 429 Too Many Requests\nRetry-After: 45\n{"error":{"code":'
             '"rate_limited","message":"Too many requests","request_id":"req_9f8e7d"}}')
    env = {"PATH": "/usr/bin:/bin", "ERRCODE_CACHE_DIR": str(tmp_path / "cache")}
    answers = [untimed(errcode("lookup", "--json", "-", stdin=paste, env=env).stdout)
               for _ in range(2)]
    plain = errcode("lookup", "--json", "-", stdin=paste, env={**env, "ERRCODE_NO_CACHE": "1"})
    assert answers[0] == answers[1] == untimed(plain.stdout)
    assert {p.name.split("-")[0] for p in (tmp_path / "cache").iterdir()} == {
        "catalog", "regexes"}
    unwritable = tmp_path / "a-file"
    unwritable.write_text("")
    out = errcode("lookup", "--json", "-", stdin=paste,
                  env={**env, "ERRCODE_CACHE_DIR": str(unwritable / "cache")})
    assert out.returncode == 0 and untimed(out.stdout) == untimed(plain.stdout)
    assert not out.stderr


def untimed(answer: str) -> str:
    """The answer without the moments it was computed at (retry times count from now)."""
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00|\d\d:\d\d:\d\d UTC",
                  "<now>", answer)


# --------------------------------------------------------------------------- escalate --from

@pytest.mark.parametrize("doc", [
    "[" * 50_000 + "]" * 50_000,
    '{"a":' * 50_000 + "1" + "}" * 50_000,
    '{"messages": [{"ts": "1.0", "text": "hi", "blocks": ' + "[" * 50_000 + "]" * 50_000 + "}]}",
])
def test_escalate_from_deeply_nested_json_is_a_one_line_error(tmp_path, doc):
    thread = tmp_path / "thread.json"
    thread.write_text(doc)
    env = {"PATH": "/usr/bin:/bin", "ERRCODE_STORAGE_PATH": str(tmp_path / "state.sqlite3")}
    out = errcode("escalate", "--from", str(thread), "--no-health", env=env, stdin="")
    assert out.returncode == 2
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"errcode: --from: {thread} is JSON nested "
                                                   "too deeply to be a Slack thread")
    assert not (tmp_path / "state.sqlite3").exists()  # nothing was stored
    piped = errcode("escalate", "--from", "-", "--no-health", env=env, stdin=doc)
    assert piped.returncode == 2 and piped.stderr.startswith("errcode: --from: stdin is JSON")


def test_escalate_from_a_thread_with_odd_fields_reads_only_text(tmp_path):
    thread = tmp_path / "thread.json"
    thread.write_text(json.dumps([
        {"ts": "1777000000.000100", "user": {"id": "U1"}, "text": '{"error":"RATE_LIMITED"}'},
        {"ts": 1777000001.5, "user": "U2", "text": ["not", "text"]},
    ]))
    env = {"PATH": "/usr/bin:/bin", "ERRCODE_STORAGE_PATH": str(tmp_path / "state.sqlite3")}
    out = errcode("escalate", "--from", str(thread), "--no-health", "--json", env=env, stdin="")
    assert out.returncode == 0, out.stderr
    packet = json.loads(out.stdout)["packet"]
    assert packet["messages"] == 2
    assert [e["code"] for e in packet["errors"]] == ["RATE_LIMITED"]


def test_a_run_builds_only_its_own_command_and_parses_it_the_same():
    from bot.cli.parser import COMMANDS, build_parser

    full = build_parser()
    (commands,) = [a for a in full._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == set(COMMANDS)  # every command can be built alone
    for argv in (["lookup", "--json", "--product", "scaivault", "rate", "limited"],
                 ["catalog", "list", "mazevault"], ["escalate", "--from", "-", "--no-health"],
                 ["db", "check", "--config", "x.yml"], ["redact", "--check", "app.log"]):
        assert vars(build_parser(argv[0]).parse_args(argv)) == vars(full.parse_args(argv))

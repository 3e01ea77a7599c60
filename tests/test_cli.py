"""The `errcode` command line, run as a user runs it: a real process."""

from __future__ import annotations

import json
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

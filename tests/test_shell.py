"""`errcode shell`, the local console, through its real input and output (a subprocess)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from tests import escalation_thread as fx

ROOT = Path(__file__).resolve().parent.parent


def shell(tmp_path: Path, *lines: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SLACK_", "ERRCODE_"))}  # no tokens at all
    env.update(HOME=str(tmp_path), ERRCODE_STORAGE_PATH=str(tmp_path / "console.db"))
    return subprocess.run([sys.executable, "-m", "bot", "shell"], input="\n".join(lines) + "\n",
                          text=True, capture_output=True, cwd=tmp_path, env=env, timeout=120)


def test_a_code_a_paste_and_a_button(tmp_path):
    out = shell(tmp_path, "VERSON_CONFLICT", "!1",
                '"""', "< HTTP/2 429", "< retry-after: 45",
                '{"error":{"code":"rate_limited","message":"Too many requests",'
                '"request_id":"req_9f8e7d6c"}}', '"""', ":quit")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "[only you can see this]" in text
    assert "== VERSION_CONFLICT · MazeVault · HTTP 409 ==" in text  # the typo was understood
    assert re.search(r"Buttons: \[1\] Share in channel", text)
    assert "[posted in C0CONSOLE]" in text  # !1 shared it in the channel
    assert "== rate_limited · ScaiVault · HTTP 429 ==" in text
    assert "45 s" in text and "req_9f8e7d6c" in text
    assert "Traceback" not in out.stderr


def test_mention_answers_in_a_thread_and_help_and_bad_lines_do_not_crash(tmp_path):
    out = shell(tmp_path, "@errcode csrf invalid", ":help", "!9", "!", "\x00\x01 garbage ]]]",
                "lunch at noon?", ":quit")
    assert out.returncode == 0, out.stderr
    assert "(in thread)" in out.stdout and "CSRF_INVALID" in out.stdout
    assert "@errcode escalate" in out.stdout  # the help banner
    assert "(no such button)" in out.stdout
    assert "No documented error" in out.stdout or "no documented error" in out.stdout
    assert "Traceback" not in out.stderr


def test_escalate_everything_pasted_in_the_session(tmp_path):
    out = shell(tmp_path, "@errcode escalate",
                '"""', *fx.CURL_RATE_LIMITED.splitlines(), '"""',
                "we run ScaiVault 2.8.3 on AKS",
                "Steps to reproduce:", "@errcode escalate", "!2", ":quit")
    assert out.returncode == 0, out.stderr
    text = out.stdout
    assert "paste the thread's messages first" in text  # nothing pasted yet
    assert "[uploaded to the thread]" in text
    assert "# Escalation: ScaiVault: rate_limited" in text
    assert "req_9f8e7d6c" in text and "- **version**: 2.8.3" in text
    assert fx.BEARER not in text and fx.COOKIE not in text
    assert re.search(r"secrets? redacted", text)

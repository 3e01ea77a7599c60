"""`errcode serve` logs through the one redacting handler, as text or JSON lines."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from tests.fakes.servers import closed_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "xoxb-1111111111-2222222222-SeCrEtVaLuEoFtHeToKeN123"


def _serve_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ERRCODE_", "SLACK_"))}
    env.update(SLACK_BOT_TOKEN=TOKEN, SLACK_SIGNING_SECRET="local-signing-secret",
               SLACK_API_URL=f"http://127.0.0.1:{closed_port()}/api/",
               ERRCODE_STORAGE_PATH=str(tmp_path / "state.sqlite3"), **extra)
    return env


def test_unknown_log_format_stops_startup_naming_the_variable(tmp_path):
    out = subprocess.run([sys.executable, "-m", "bot", "serve", "--http", "--port", "0"],
                         env=_serve_env(tmp_path, ERRCODE_LOG_FORMAT="xml"), cwd=tmp_path,
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 2
    assert "ERRCODE_LOG_FORMAT" in out.stderr and "text, json" in out.stderr


def serve_until_serving(tmp_path: Path, **env: str) -> tuple[subprocess.Popen, list[dict]]:
    """`errcode serve --http` logging JSON lines, and its lines up to "serving"."""
    proc = subprocess.Popen([sys.executable, "-m", "bot", "serve", "--http", "--port",
                             str(closed_port()), "--host", "127.0.0.1"],
                            env=_serve_env(tmp_path, ERRCODE_LOG_FORMAT="json", **env),
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    lines: list[dict] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not any(
            line.get("event") == "serving" for line in lines):
        raw = proc.stderr.readline()
        if not raw:
            break
        lines.append(json.loads(raw))
    return proc, lines


def test_json_log_lines_from_serve_carry_stable_keys_and_no_token(tmp_path):
    proc, lines = serve_until_serving(tmp_path)
    proc.terminate()
    rest = proc.communicate(timeout=30)[1]
    events = [line.get("event") for line in lines]
    assert "auth_unreachable" in events and "serving" in events, lines
    assert all({"ts", "level", "logger", "msg"} <= line.keys() for line in lines)
    assert TOKEN not in "".join(json.dumps(line) for line in lines) + rest

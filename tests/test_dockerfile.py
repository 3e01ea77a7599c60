"""The Dockerfile, checked as far as a machine without a Docker engine can.

No engine runs here, so the image is not built; what it relies on is run instead:
its dependency-extraction step, its CMD and its HEALTHCHECK command.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from bot.catalog.load import load_catalog
from bot.config import Settings, SlackSettings
from bot.core import Core
from bot.slack.app import build_app
from bot.slack.http import make_server
from bot.store import Store
from tests.fakes.servers import closed_port

ROOT = Path(__file__).resolve().parents[1]
LINES = [line.strip() for line in (ROOT / "Dockerfile").read_text().splitlines()]
INSTRUCTIONS = [line for line in LINES if line and not line.startswith("#")]


def _index(prefix: str) -> int:
    return next(i for i, line in enumerate(INSTRUCTIONS) if line.startswith(prefix))


def _exec_form(prefix: str) -> list[str]:
    line = next(line for line in INSTRUCTIONS if line.startswith(prefix))
    return json.loads(line[line.index("["):])


def errcode(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=ROOT, env={**os.environ, **(env or {})}, timeout=60)


def test_slim_python_base_and_non_root_user():
    froms = [line for line in INSTRUCTIONS if line.startswith("FROM ")]
    assert froms[-1] == "FROM python:3.11-slim"
    user = next(line for line in INSTRUCTIONS if line.startswith("USER "))
    assert user.split()[1] not in ("root", "0")
    assert _index("USER ") < _index("CMD ")


def test_dependency_layer_is_cached_before_the_wheel():
    final = max(i for i, line in enumerate(INSTRUCTIONS) if line.startswith("FROM "))
    assert final < _index("COPY pyproject.toml /tmp") < _index("RUN python -c") \
        < _index("COPY --from=wheel")


def test_dependency_extraction_step_lists_pyprojects_dependencies():
    run = next(line for line in INSTRUCTIONS if line.startswith("RUN python -c"))
    script = re.search(r'python -c "(.*)" >', run).group(1)
    script = script.replace("/tmp/pyproject.toml", str(ROOT / "pyproject.toml"))
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                         cwd=ROOT, check=True).stdout.split()
    assert "slack-bolt>=1.18" in out and "httpx>=0.27" in out and "waitress>=3.0" in out


def test_default_command_exists():
    cmd = _exec_form("CMD ")
    assert cmd == ["errcode", "serve"]
    assert errcode(*cmd[1:], "--help").returncode == 0


def test_image_runs_the_wheel_with_its_own_catalog():
    # tests/test_packaging.py builds the wheel with the same command and runs it.
    assert "ERRCODE_CATALOG_DIR" not in " ".join(LINES)
    assert "RUN pip wheel --no-deps --wheel-dir /wheels ." in INSTRUCTIONS
    install = next(line for line in INSTRUCTIONS if line.startswith("RUN pip install --no-deps"))
    assert "/wheels/*.whl" in install
    assert "cd / && errcode --version && errcode catalog check" in " ".join(LINES)


@pytest.fixture
def http_server():
    settings = Settings(slack=SlackSettings(bot_token="xoxb-x", signing_secret="s"))
    with Store(":memory:") as store:
        server = make_server(build_app(Core(settings, load_catalog(), store)),
                             host="127.0.0.1", port=0, threads=2)
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        yield server
        server.close()
        thread.join(timeout=5)


def test_healthcheck_command_passes_against_a_running_server(http_server):
    cmd = _exec_form("HEALTHCHECK")
    assert cmd == ["errcode", "probe"]
    env = {"PORT": str(http_server.effective_port), "SLACK_APP_TOKEN": ""}
    assert errcode(*cmd[1:], env=env).returncode == 0


def test_healthcheck_command_fails_when_nothing_answers():
    out = errcode("probe", env={"PORT": str(closed_port()), "SLACK_APP_TOKEN": ""})
    assert out.returncode == 1
    assert "did not answer" in out.stderr

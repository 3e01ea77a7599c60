"""`errcode health` and `errcode config check` as a user runs them, against real local servers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.fakes.servers import LocalServer, Reply, closed_port

ROOT = Path(__file__).resolve().parents[2]
TOKEN = "adm-tok-3f9c1d2e8a7b6c5d"


def errcode(*args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True,
                          cwd=ROOT, env=full_env, timeout=60)


@pytest.fixture
def vault():
    server = LocalServer()
    server.route("/api/v1/health", Reply.json({"status": "ok", "version": "3.4.1"}))
    server.route("/api/v1/health/system", Reply.json(
        {"status": "degraded", "components": {"database": {"status": "unhealthy"},
                                              "redis": {"status": "ok"}}}))
    server.route("/ocsp/health", Reply.json({"status": "ok"}))
    server.start()
    yield server
    server.stop()


def config(tmp_path: Path, base_url: str, extra: str = "") -> Path:
    path = tmp_path / "errcode.yml"
    path.write_text(f"""
health:
  targets:
    - name: prod
      product: mazevault
      base_url: {base_url}
      token_env: MV_ADMIN_TOKEN
      timeout_s: 2
{extra}""")
    return path


def test_health_json_maps_an_unhealthy_database_to_the_catalog(tmp_path, vault):
    cfg = config(tmp_path, vault.url)
    out = errcode("health", "--json", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    assert out.returncode == 1, out.stderr  # not every target healthy
    data = json.loads(out.stdout)
    target = data["targets"][0]
    assert (target["name"], target["product"], target["status"]) == ("prod", "mazevault",
                                                                     "degraded")
    system = next(c for c in target["checks"] if c["path"] == "/api/v1/health/system")
    assert system["components"]["database"] == "unhealthy"
    codes = {m["code"] for m in system["matches"]}
    assert codes & {"DATABASE_ERROR", "database-connection-errors"}
    assert TOKEN not in out.stdout + out.stderr
    sent = vault.requests_to("/api/v1/health/system")[0].headers
    assert sent.get("authorization") == f"Bearer {TOKEN}"
    assert "authorization" not in vault.requests_to("/api/v1/health")[0].headers


def test_health_text_and_exit_zero_when_all_healthy(tmp_path):
    server = LocalServer()
    for path in ("/api/v1/health", "/api/v1/health/system", "/ocsp/health"):
        server.route(path, Reply.json({"status": "ok"}))
    server.start()
    try:
        cfg = config(tmp_path, server.url)
        out = errcode("health", "prod", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    finally:
        server.stop()
    assert out.returncode == 0, out.stdout + out.stderr
    assert "prod" in out.stdout and "healthy" in out.stdout


def test_unreachable_target_points_at_network_diagnostics(tmp_path):
    cfg = config(tmp_path, f"http://127.0.0.1:{closed_port()}")
    out = errcode("health", "--json", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    assert out.returncode == 1
    check = json.loads(out.stdout)["targets"][0]["checks"][0]
    assert check["status"] == "unreachable"
    assert "refused" in check["error"]
    assert check["matches"]


def test_unknown_target_and_missing_token_are_named(tmp_path, vault):
    cfg = config(tmp_path, vault.url)
    unknown = errcode("health", "staging", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    assert unknown.returncode == 2 and "staging" in unknown.stderr
    env = {k: v for k, v in os.environ.items() if k != "MV_ADMIN_TOKEN"}
    missing = subprocess.run([sys.executable, "-m", "bot", "config", "check", "--config",
                              str(cfg)], capture_output=True, text=True, cwd=ROOT, env=env,
                             timeout=60)
    assert missing.returncode == 2
    assert "health.targets[0].token_env" in missing.stderr
    assert "MV_ADMIN_TOKEN" in missing.stderr


def test_config_check_reports_what_it_validated(tmp_path, vault):
    cfg = config(tmp_path, vault.url)
    out = errcode("config", "check", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    assert out.returncode == 0, out.stderr
    assert "health targets: prod" in out.stdout
    assert TOKEN not in out.stdout


def test_bad_health_url_is_named(tmp_path):
    cfg = config(tmp_path, "ftp://vault.example.com")
    out = errcode("config", "check", "--config", str(cfg), env={"MV_ADMIN_TOKEN": TOKEN})
    assert out.returncode == 2
    assert "health.targets[0].base_url" in out.stderr

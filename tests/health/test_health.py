"""Health checks against real HTTP and HTTPS servers on 127.0.0.1 (tests/fakes/servers.py)."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import threading
import time

import pytest
import trustme

from bot.catalog.load import load_catalog
from bot.catalog.model import Catalog, CatalogError, HealthCheckSpec, Product
from bot.errors import ConfigError
from bot.health.checks import (
    BODY_CAP,
    CheckResult,
    HealthReport,
    MatchRef,
    TargetReport,
    admin_allowed,
    check_targets,
    default_failure_refs,
    run_health,
)
from bot.health.render import health_json, health_summary, health_text
from bot.health.targets import (
    HealthSettings,
    HealthTarget,
    Secret,
    UnknownTargetError,
    parse_health_config,
)
from bot.slack.health_blocks import health_blocks

try:  # tests/ is a rootdir-relative folder, not a package: pytest puts it on sys.path
    from fakes.servers import LocalServer, Reply, closed_port, tls_server_context, write_ca_pem
except ModuleNotFoundError:  # run with the repository root on sys.path instead
    from tests.fakes.servers import (
        LocalServer,
        Reply,
        closed_port,
        tls_server_context,
        write_ca_pem,
    )

TOKEN = "mv-admin-7f3c9a1e5b2d4c6e8a0f"
HEALTHY = {"status": "ok", "version": "2.3.1", "deployment_type": "on-premise",
           "components": {"database": {"status": "ok"}, "redis": {"status": "ok"}}}


def spec(path: str, auth: str | None = None) -> HealthCheckSpec:
    return HealthCheckSpec(path=path, auth=auth)


def target(base_url: str, *checks: HealthCheckSpec, name: str = "prod",
           timeout_s: float = 3.0, token: str | None = None, **kw: object) -> HealthTarget:
    return HealthTarget(name=name, product="mazevault", base_url=base_url, checks=checks,
                        timeout_s=timeout_s, token=Secret(token) if token else None,
                        token_env="MAZEVAULT_ADMIN_TOKEN" if token else None,
                        **kw)  # type: ignore[arg-type]


def only_check(report: HealthReport):
    assert len(report.targets) == 1 and len(report.targets[0].checks) == 1
    return report.targets[0].checks[0]


@functools.cache
def mazevault_product() -> Product:
    """The real catalog's MazeVault product; a built one if the catalog is not there."""
    try:
        product = load_catalog().products.get("mazevault")
    except CatalogError:
        product = None
    return product or Product(catalog="mazevault", name="MazeVault", health_checks=(
        spec("/api/v1/health"), spec("/api/v1/health/system", "admin"), spec("/ocsp/health")))


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


# --------------------------------------------------------------------------- statuses


def test_healthy_endpoint_reports_components_and_version(server):
    server.route("/api/v1/health", Reply.json(HEALTHY))
    report = run_health([target(server.url, spec("/api/v1/health"))])
    check = only_check(report)
    assert (check.status, check.http_status, check.error) == ("healthy", 200, "")
    assert check.components == {"database": "ok", "redis": "ok"}
    assert check.info == {"version": "2.3.1", "deployment_type": "on-premise"}
    assert check.latency_ms is not None and check.latency_ms < 2000
    assert check.matches == ()
    assert report.targets[0].status == "healthy" and report.ok


@pytest.mark.parametrize("body, component", [
    ({"status": "ok", "components": {"database": {"status": "unhealthy"}}}, "database"),
    ({"database": "down", "redis": "up"}, "database"),
    ({"status": "UP", "checks": [{"name": "postgres", "status": "DOWN"},
                                 {"name": "cache", "status": "UP"}]}, "postgres"),
])
def test_component_not_ok_makes_check_degraded_and_points_at_database_entries(
        server, body, component):
    server.route("/api/v1/health", Reply.json(body))
    check = only_check(run_health([target(server.url, spec("/api/v1/health"))]))
    assert check.status == "degraded"
    assert check.components[component].lower() in ("unhealthy", "down")
    assert component in check.error
    assert MatchRef("mazevault", "DATABASE_ERROR") in check.matches
    assert MatchRef("mazevault", "database-connection-errors") in check.matches


def test_overall_degraded_and_unhealthy_words(server):
    server.route("/a", Reply.json({"status": "degraded"}))
    server.route("/b", Reply.json({"status": "fail", "version": "1.0"}))
    checks = run_health([target(server.url, spec("/a"), spec("/b"))]).targets[0].checks
    assert [c.status for c in checks] == ["degraded", "unhealthy"]
    assert "'fail'" in checks[1].error


def test_500_html_is_summarised_not_dumped(server):
    filler = "Traceback line that must not be dumped " * 200
    server.route("/api/v1/health", Reply.html(
        f"<html><head><title>502 Bad Gateway</title></head><body>{filler}</body></html>",
        status=500))
    report = run_health([target(server.url, spec("/api/v1/health"))])
    check = only_check(report)
    assert (check.status, check.http_status) == ("unhealthy", 500)
    assert check.error == "HTTP 500 Internal Server Error"
    assert '"502 Bad Gateway"' in check.summary and len(check.summary) < 200
    assert MatchRef("mazevault", "INTERNAL_ERROR") in check.matches
    rendered = health_text(report) + json.dumps(health_json(report)) + \
        json.dumps(health_blocks(report))
    assert "Traceback line" not in rendered


def test_ocsp_failure_points_at_ocsp_entry(server):
    server.route("/ocsp/health", Reply.text("responder not running", status=503))
    check = only_check(run_health([target(server.url, spec("/ocsp/health"))]))
    assert check.status == "unhealthy"
    assert check.matches[0] == MatchRef("mazevault", "ocsp-errors")


def test_401_without_token_names_authentication(server):
    server.route("/api/v1/health/system", Reply.json(
        {"error": {"code": "AUTH_REQUIRED", "message": "No authentication token provided"}},
        status=401))
    check = only_check(run_health([target(server.url, spec("/api/v1/health/system"))]))
    assert (check.status, check.http_status) == ("unhealthy", 401)
    assert check.error.startswith("401 Unauthorized: ")
    assert "authentication" in check.error
    assert "auth: admin" in check.hint
    assert MatchRef("mazevault", "AUTH_REQUIRED") in check.matches
    assert "authorization" not in server.requests_to("/api/v1/health/system")[0].headers


def test_token_goes_only_to_the_admin_check_and_never_into_any_output(server, caplog):
    caplog.set_level(logging.DEBUG)
    # A careless server echoing the credential back must not leak it either.
    echo = lambda req: Reply.json({"status": "down", "error": {  # noqa: E731
        "code": "AUTH_INVALID", "message": f"rejected {req.headers.get('authorization')}"},
        "components": {"database": "down", f"auth {req.headers.get('authorization')}": "x"}},
        status=401)
    server.route("/api/v1/health", Reply.json(HEALTHY))
    server.route("/api/v1/health/system", echo)
    server.route("/ocsp/health", Reply.redirect("/ocsp/health2"))
    server.route("/ocsp/health2", Reply.json({"status": "ok"}))
    t = target(server.url, spec("/api/v1/health"), spec("/api/v1/health/system", "admin"),
               spec("/ocsp/health"), token=TOKEN)
    report = run_health([t])

    admin = server.requests_to("/api/v1/health/system")
    assert [r.headers.get("authorization") for r in admin] == [f"Bearer {TOKEN}"]
    others = [r for r in server.requests if r.path != "/api/v1/health/system"]
    assert len(others) == 3 and all("authorization" not in r.headers for r in others)

    check = report.targets[0].checks[1]
    assert (check.status, check.http_status) == ("unhealthy", 401)
    assert "admin token missing or rejected" in check.error
    assert MatchRef("mazevault", "AUTH_INVALID") in check.matches
    outputs = [health_text(report), json.dumps(health_json(report)),
               json.dumps(health_blocks(report)), health_summary(report), repr(report),
               repr(t), str(t), caplog.text, *(c.error + c.summary + c.hint for c in
                                               report.targets[0].checks)]
    for text in outputs:
        assert TOKEN not in text
    assert "[REDACTED:" in check.summary  # the echoed value was there, and was redacted


def test_slow_check_times_out_without_waiting_for_the_server(server):
    server.route("/slow", Reply.json({"status": "ok"}, delay_s=10))
    t0 = time.perf_counter()
    check = only_check(run_health([target(server.url, spec("/slow"), timeout_s=0.5)]))
    elapsed = time.perf_counter() - t0
    assert check.status == "unreachable"
    assert check.error == "timed out after 0.5 s"
    assert "network diagnostics" in check.hint
    assert MatchRef("mazevault", "agent-registration-fails") in check.matches
    assert elapsed < 1.5


def test_checks_of_all_targets_run_concurrently(server):
    server.route("/one-second", Reply.json({"status": "ok"}, delay_s=1.0))
    targets = [target(server.url, spec("/one-second"), name=f"t{i}", timeout_s=2)
               for i in range(3)]
    t0 = time.perf_counter()
    report = run_health(targets)
    elapsed = time.perf_counter() - t0
    assert [t.status for t in report.targets] == ["healthy"] * 3
    assert elapsed < 2.0, f"3 checks of 1 s took {elapsed:.2f} s: not concurrent"
    assert report.elapsed_ms < 2000


def test_connection_refused_is_unreachable_with_network_advice():
    check = only_check(run_health([target(f"http://127.0.0.1:{closed_port()}",
                                          spec("/api/v1/health"))]))
    assert (check.status, check.http_status, check.latency_ms) == ("unreachable", None, None)
    assert check.error == "connection refused"
    assert "curl -v" in check.hint
    assert MatchRef("mazevault", "agent-registration-fails") in check.matches


def test_https_with_unknown_ca_then_with_ca_cert(ca, tmp_path):
    with LocalServer(ssl_context=tls_server_context(ca, "127.0.0.1")) as srv:
        srv.route("/api/v1/health", Reply.json(HEALTHY))
        check = only_check(run_health([target(srv.url, spec("/api/v1/health"))]))
        assert check.status == "unreachable"
        assert check.error == ("TLS: certificate signed by unknown authority — set ca_cert "
                               "for this target")
        assert "ca_cert" in check.hint
        assert MatchRef("mazevault", "agent-registration-fails") in check.matches
        assert srv.requests_to("/api/v1/health") == []

        pem = write_ca_pem(ca, tmp_path / "corp-ca.pem")
        trusted = target(srv.url, spec("/api/v1/health"), ca_cert=str(pem))
        check = only_check(run_health([trusted]))
        assert (check.status, check.http_status) == ("healthy", 200)
        assert len(srv.requests_to("/api/v1/health")) == 1


def test_plain_http_server_behind_https_url_is_a_tls_error(server):
    server.route("/api/v1/health", Reply.json(HEALTHY))
    url = server.url.replace("http://", "https://")
    check = only_check(run_health([target(url, spec("/api/v1/health"))]))
    assert check.status == "unreachable"
    assert check.error.startswith("TLS handshake failed")


def test_redirect_to_another_host_is_not_followed_but_same_host_is(server):
    with LocalServer() as other:
        other.route("/steal", Reply.json({"status": "ok"}))
        server.route("/off-host", Reply.redirect(f"http://localhost:{other.port}/steal"))
        server.route("/moved", Reply.redirect("/api/v1/health", status=301))
        server.route("/api/v1/health", Reply.json(HEALTHY))
        report = run_health([target(server.url, spec("/off-host"), spec("/moved"),
                                    spec("/api/v1/health/system", "admin"), token=TOKEN)])
        off, moved, _ = report.targets[0].checks
        assert off.status == "unhealthy"
        assert off.error == "redirect to another host (localhost) not followed"
        assert other.requests == []
        assert (moved.status, moved.http_status) == ("healthy", 200)
        assert len(server.requests_to("/api/v1/health")) == 1


def test_redirects_are_never_followed_when_disabled(server):
    server.route("/moved", Reply.redirect("/api/v1/health"))
    server.route("/api/v1/health", Reply.json(HEALTHY))
    check = only_check(run_health([target(server.url, spec("/moved"),
                                          follow_redirects=False)]))
    assert check.status == "unhealthy" and "not followed" in check.error
    assert server.requests_to("/api/v1/health") == []


def test_20_mb_body_is_not_read_whole(server):
    size = 20 * 1024 * 1024
    server.route("/api/v1/health", Reply.huge(size))
    t0 = time.perf_counter()
    check = only_check(run_health([target(server.url, spec("/api/v1/health"))]))
    assert time.perf_counter() - t0 < 3
    request = server.requests_to("/api/v1/health")[0]
    assert request.finished.wait(5)
    # The client hung up after the cap: the server could not write most of the body.
    assert request.error is not None
    assert request.bytes_sent < size // 2
    assert check.status == "degraded" and check.http_status == 200
    assert f"{BODY_CAP // 1024} KiB" in check.summary and "stopped at the cap" in check.summary


# --------------------------------------------------------------------------- targets


def test_target_status_is_the_worst_of_its_checks(server):
    server.route("/ok", Reply.json({"status": "ok"}))
    server.route("/degraded", Reply.json({"status": "ok", "components": {"db": "down"}}))
    server.route("/broken", Reply.json({"error": "INTERNAL_ERROR"}, status=500))
    report = run_health([
        target(server.url, spec("/ok"), name="a"),
        target(server.url, spec("/ok"), spec("/degraded"), name="b"),
        target(server.url, spec("/degraded"), spec("/broken"), spec("/ok"), name="c"),
        target(f"http://127.0.0.1:{closed_port()}", spec("/ok"), name="d"),
    ])
    assert [t.status for t in report.targets] == ["healthy", "degraded", "unhealthy",
                                                  "unreachable"]
    assert not report.ok
    assert report.targets[2].checks[1].error == "HTTP 500 Internal Server Error (INTERNAL_ERROR)"


def test_target_without_checks_uses_the_products_documented_endpoints(server):
    product = mazevault_product()
    for c in product.health_checks:
        server.route(c.path, Reply.json({"status": "ok"}))
    raw = {"targets": [{"name": "prod", "product": "mazevault", "base_url": server.url,
                        "token_env": "MV_TOKEN"},
                       {"name": "public", "product": "mazevault", "base_url": server.url}]}
    settings = parse_health_config(raw, {"MV_TOKEN": TOKEN}, file=None,
                                   products={"mazevault": product})
    prod, public = settings.targets
    assert prod.checks == product.health_checks
    # Without token_env the admin-only endpoints are left out rather than bound to fail.
    assert public.checks == tuple(c for c in product.health_checks if c.auth != "admin")
    report = run_health([prod])
    assert report.ok
    assert sorted(r.path for r in server.requests) == sorted(c.path for c in
                                                             product.health_checks)
    for c in product.health_checks:
        sent = server.requests_to(c.path)[0].headers.get("authorization")
        assert sent == (f"Bearer {TOKEN}" if c.auth == "admin" else None)


def test_run_health_works_inside_a_running_loop_and_from_a_thread(server):
    server.route("/ok", Reply.json({"status": "ok"}))
    t = target(server.url, spec("/ok"))

    async def inside_loop() -> HealthReport:
        direct = await check_targets([t])
        assert direct.ok
        return run_health([t])

    assert asyncio.run(inside_loop()).ok
    results: list[HealthReport] = []
    worker = threading.Thread(target=lambda: results.append(run_health([t])))
    worker.start()
    worker.join(10)
    assert results and results[0].ok


def test_explain_hook_gets_observed_failure_text_and_its_refs_win(server):
    server.route("/api/v1/health", Reply.json({"status": "ok",
                                               "components": {"database": "unhealthy"}}))
    seen: list[tuple[str, str]] = []

    def explain(product: str, text: str) -> list[MatchRef]:
        seen.append((product, text))
        return [MatchRef("mazevault", "database-connection-errors")]

    check = only_check(run_health([target(server.url, spec("/api/v1/health"))], explain))
    assert seen and seen[0][0] == "mazevault"
    assert "database unhealthy: health endpoint reports database as unhealthy" in seen[0][1]
    assert check.matches == (MatchRef("mazevault", "database-connection-errors"),)


def test_default_refs_keep_only_codes_the_catalog_has(server):
    server.route("/x", Reply.json({"status": "ok", "components": {"database": "down"}},
                                  status=503))
    check = only_check(run_health([target(server.url, spec("/x"))]))
    empty = Catalog(products={"mazevault": mazevault_product()}, entries=())
    assert default_failure_refs("mazevault", check, empty) == ()
    assert default_failure_refs("othervault", check) == ()
    refs = default_failure_refs("mazevault", check)
    assert refs[:2] == (MatchRef("mazevault", "DATABASE_ERROR"),
                        MatchRef("mazevault", "database-connection-errors"))
    try:
        real = load_catalog()
    except CatalogError:
        return
    if "mazevault" in real.products:
        assert set(default_failure_refs("mazevault", check, real)) <= set(refs)
        assert default_failure_refs("mazevault", check, real)


# --------------------------------------------------------------------------- access


def test_admin_checks_are_restricted_to_listed_users_and_channels(server):
    server.route("/api/v1/health", Reply.json(HEALTHY))
    server.route("/api/v1/health/system", Reply.json({"status": "fail",
                                                      "components": {"kms": "down"}}))
    settings = HealthSettings(admin_users=frozenset({"U0ADMIN"}),
                              admin_channels=frozenset({"C0OPS"}))
    assert admin_allowed(settings, "U0ADMIN", "C0RANDOM")
    assert admin_allowed(settings, "U0OTHER", "C0OPS")
    assert not admin_allowed(settings, "U0OTHER", "C0RANDOM")
    assert not admin_allowed(settings, None, None)
    assert admin_allowed(HealthSettings(), "U0ANY", None)

    t = target(server.url, spec("/api/v1/health"), spec("/api/v1/health/system", "admin"),
               token=TOKEN)
    restricted = run_health([t], include_admin=False)
    public, admin = restricted.targets[0].checks
    assert public.status == "healthy"
    assert admin.status == "skipped" and admin.error.startswith("restricted")
    assert server.requests_to("/api/v1/health/system") == []
    assert restricted.targets[0].status == "healthy"
    assert "kms" not in health_text(restricted) + json.dumps(health_json(restricted))

    full = run_health([t])
    assert full.targets[0].status == "unhealthy"


# --------------------------------------------------------------------------- rendering


def test_json_has_exactly_the_documented_shape(server):
    server.route("/ok", Reply.json(HEALTHY))
    server.route("/bad", Reply.json({"database": "down"}))
    doc = health_json(run_health([target(server.url, spec("/ok"), spec("/bad"))]))
    assert set(doc) == {"targets"}
    (t,) = doc["targets"]
    assert set(t) == {"name", "product", "status", "checks"}
    assert (t["name"], t["product"], t["status"]) == ("prod", "mazevault", "degraded")
    for c in t["checks"]:
        assert set(c) == {"path", "status", "http_status", "latency_ms", "components",
                          "error", "matches"}
        assert isinstance(c["latency_ms"], int)
        for m in c["matches"]:
            assert set(m) == {"catalog", "code"}
    assert t["checks"][0]["error"] is None
    assert t["checks"][1]["components"] == {"database": "down"}
    assert {"catalog": "mazevault", "code": "DATABASE_ERROR"} in t["checks"][1]["matches"]
    json.dumps(doc)


def test_text_table_lists_each_check_and_strips_control_characters(server):
    server.route("/ok", Reply.json(HEALTHY))
    server.route("/bad", Reply.json({"status": "ok",
                                     "components": {"database\x1b[2J\x1b[31m": "down"}}))
    report = run_health([target(server.url, spec("/ok"), spec("/bad"))])
    text = health_text(report)
    assert "\x1b" not in text
    assert "prod (mazevault) — DEGRADED" in text
    assert "/ok" in text and "version 2.3.1" in text
    assert "see: mazevault DATABASE_ERROR" in text
    assert health_summary(report).startswith("1 of 1 target not healthy: prod degraded")


def test_blocks_escape_server_text_and_respect_slack_limits(server):
    nasty = {f"<!channel> & <https://evil.example|click> {i}" + "x" * 60: "down"
             for i in range(40)}
    server.route("/bad", Reply.json({"status": "ok", "components": nasty}))
    report = run_health([target(server.url, spec("/bad"), spec("/bad2"), name=f"target-{i}")
                         for i in range(60)])
    blocks = health_blocks(report)
    assert len(blocks) <= 50
    assert blocks[0]["type"] == "header" and len(blocks[0]["text"]["text"]) <= 150
    for b in blocks:
        if b["type"] == "section":
            assert len(b["text"]["text"]) <= 3000
    dumped = json.dumps(blocks)
    assert "<!channel>" not in dumped and "<https://evil" not in dumped
    assert "&lt;!channel&gt; &amp;" in dumped
    assert "more targets not shown" in dumped
    assert "target-0" in dumped


# --------------------------------------------------------------------------- config


def _raw(**changes: object) -> dict:
    t = {"name": "prod", "product": "mazevault", "base_url": "https://vault.example.com",
         "token_env": "MAZEVAULT_ADMIN_TOKEN", "timeout_s": 5,
         "checks": [{"path": "/api/v1/health"},
                    {"path": "/api/v1/health/system", "auth": "admin"},
                    {"path": "/ocsp/health"}]}
    t.update(changes)
    return {"targets": [t]}


def _parse(raw: object, env: dict | None = None) -> HealthSettings:
    return parse_health_config(raw, {"MAZEVAULT_ADMIN_TOKEN": TOKEN} if env is None else env,
                               file="errcode.yml", products={"mazevault": mazevault_product()})


def test_config_reads_the_documented_example(tmp_path):
    settings = _parse({**_raw(), "admin_access": {"users": ["U1"], "channels": ["C1"]}})
    (t,) = settings.targets
    assert (t.name, t.product, t.base_url, t.timeout_s) == (
        "prod", "mazevault", "https://vault.example.com", 5.0)
    assert [c.auth for c in t.checks] == [None, "admin", None]
    assert t.token is not None and t.token.reveal() == TOKEN
    assert TOKEN not in repr(settings) and TOKEN not in str(t)
    assert settings.admin_users == {"U1"} and settings.admin_channels == {"C1"}
    assert settings.select(["PROD"]) == (t,)
    with pytest.raises(UnknownTargetError, match="staging"):
        settings.select(["staging"])
    assert _parse(None) == HealthSettings()


@pytest.mark.parametrize("raw, env, key, message", [
    (_raw(colour="blue"), None, "health.targets[0].colour", "unknown key"),
    ({"targets": [], "extra": 1}, None, "health.extra", "unknown key"),
    (_raw(base_url="ftp://x"), None, "health.targets[0].base_url",
     "must be an http(s) URL (got 'ftp://x')"),
    (_raw(base_url="https://user:pw@vault.example.com"), None, "health.targets[0].base_url",
     "credentials"),
    (_raw(), {}, "health.targets[0].token_env", "environment variable MAZEVAULT_ADMIN_TOKEN "
     "is not set, needed by check /api/v1/health/system"),
    (_raw(token_env=None), None, "health.targets[0].token_env", "is required"),
    (_raw(product="nosuchvault"), None, "health.targets[0].product",
     "'nosuchvault' is not a product"),
    ({"targets": [_raw()["targets"][0], _raw()["targets"][0]]}, None,
     "health.targets[1].name", "already used"),
    (_raw(timeout_s=0), None, "health.targets[0].timeout_s",
     "must be a positive number of seconds, at most 60 (got 0)"),
    (_raw(timeout_s="5"), None, "health.targets[0].timeout_s",
     "must be a positive number of seconds, at most 60 (got '5')"),
    (_raw(timeout_s=600), None, "health.targets[0].timeout_s",
     "must be a positive number of seconds, at most 60 (got 600)"),
    (_raw(ca_cert="/nonexistent/corp-ca.pem"), None, "health.targets[0].ca_cert",
     "does not exist"),
    (_raw(checks=[{"path": "https://evil.example/x"}]), None,
     "health.targets[0].checks[0].path", "must be a path"),
    (_raw(checks=[{"path": "/x", "auth": "root"}]), None,
     "health.targets[0].checks[0].auth", "must be one of admin (got 'root')"),
    (_raw(name=None), None, "health.targets[0].name", "is required"),
    ({**_raw(), "admin_access": {"groups": []}}, None, "health.admin_access.groups",
     "unknown key"),
])
def test_config_errors_name_their_key(raw, env, key, message):
    with pytest.raises(ConfigError) as info:
        _parse(raw, env)
    assert info.value.key == key
    assert message in str(info.value)
    assert str(info.value).startswith(f"errcode.yml: {key}: ")
    assert TOKEN not in str(info.value)


def test_ca_cert_that_is_not_pem_is_refused(tmp_path):
    bogus = tmp_path / "ca.pem"
    bogus.write_text("not a certificate")
    with pytest.raises(ConfigError) as info:
        _parse(_raw(ca_cert=str(bogus)))
    assert info.value.key == "health.targets[0].ca_cert"


def test_health_blocks_neutralise_broadcasts_from_a_server_body():
    """A health body is server text: it is escaped like a paste, so it pings no one."""
    from datetime import UTC, datetime

    check = CheckResult(path="/api/v1/health", url="https://vault.example.com/api/v1/health",
                        status="unhealthy", http_status=503,
                        components={"@channel <!here>": "down"},
                        error="db down, @here please look <@U0ADMIN>")
    report = HealthReport((TargetReport("prod", "mazevault", "unhealthy", (check,)),),
                          datetime.now(UTC), 12)
    text = json.dumps(health_blocks(report), ensure_ascii=False)
    assert "<!here>" not in text and "<@U0ADMIN>" not in text
    assert "@channel" not in text and "@here" not in text

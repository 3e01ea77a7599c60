"""Status words alerts rely on, against real local HTTP servers: a target is unreachable
only when no check could connect; a check timing out beside answering ones makes the
target unhealthy, and the target's cause names that check."""

from __future__ import annotations

import pytest

from bot.catalog.model import HealthCheckSpec
from bot.health.checks import run_health, target_status
from bot.health.report import CheckResult
from bot.health.targets import HealthTarget
from tests.fakes.servers import LocalServer, Reply, closed_port

DEGRADED = {"status": "degraded", "components": {"database": {"status": "ok"},
                                                  "redis": {"status": "degraded"}}}


def target(base_url: str, *paths: str, timeout_s: float = 0.5) -> HealthTarget:
    return HealthTarget(name="prod", product="mazevault", base_url=base_url, timeout_s=timeout_s,
                        checks=tuple(HealthCheckSpec(path=p) for p in paths))


@pytest.fixture
def server():
    with LocalServer() as srv:
        yield srv


def test_degraded_endpoints_and_a_timed_out_ocsp_check_make_the_target_unhealthy(server):
    server.route("/api/v1/health", Reply.json(DEGRADED))
    server.route("/api/v1/health/ready", Reply.json(DEGRADED))
    server.route("/ocsp/health", Reply.json({"status": "ok"}, delay_s=3))
    [report] = run_health([target(server.url, "/api/v1/health", "/api/v1/health/ready",
                                  "/ocsp/health")]).targets
    assert [c.status for c in report.checks] == ["degraded", "degraded", "unreachable"]
    assert report.status == "unhealthy"
    assert report.cause.startswith("/ocsp/health: timed out after 0.5 s")


def test_a_target_is_unreachable_only_when_no_check_could_connect(server):
    server.route("/a", Reply.json({"status": "ok"}, delay_s=3))
    server.route("/b", Reply.json({"status": "ok"}, delay_s=3))
    slow, refused = run_health([
        target(server.url, "/a", "/b"),
        target(f"http://127.0.0.1:{closed_port()}", "/a", "/b"),
    ]).targets
    assert (slow.status, refused.status) == ("unreachable", "unreachable")
    assert "/a: timed out" in slow.cause and "/b: timed out" in slow.cause
    assert "/a: connection refused" in refused.cause


def test_one_healthy_answer_and_one_timeout_is_unhealthy_naming_the_silent_check(server):
    server.route("/api/v1/health", Reply.json({"status": "ok"}))
    server.route("/ocsp/health", Reply.json({"status": "ok"}, delay_s=3))
    [report] = run_health([target(server.url, "/api/v1/health", "/ocsp/health")]).targets
    assert report.status == "unhealthy"
    assert report.cause == "/ocsp/health: timed out after 0.5 s"


def test_without_silent_checks_the_target_is_its_worst_check_and_names_it(server):
    server.route("/ok", Reply.json({"status": "ok"}))
    server.route("/degraded", Reply.json(DEGRADED))
    [report] = run_health([target(server.url, "/ok", "/degraded")]).targets
    assert report.status == "degraded"
    assert report.cause.startswith("/degraded: ")
    server.route("/degraded", Reply.json({"status": "ok"}))
    [report] = run_health([target(server.url, "/ok", "/degraded")]).targets
    assert (report.status, report.cause) == ("healthy", "")


def test_skipped_checks_count_for_nothing():
    skipped = CheckResult("/admin", "http://x/admin", "skipped", reason="restricted")
    silent = CheckResult("/ocsp", "http://x/ocsp", "unreachable", error="timed out after 5.0 s",
                         reason="timeout")
    assert target_status([skipped]) == ("skipped", "")
    assert target_status([skipped, silent]) == ("unreachable", "/ocsp: timed out after 5.0 s")

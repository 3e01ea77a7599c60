"""Health checks: 20 targets x 3 checks on local servers, one check hanging past its timeout.

Target: the wall time is about one timeout (< timeout + 1 s), never the sum of the checks.
"""

from __future__ import annotations

import logging
import statistics
import time

from bot.catalog.model import HealthCheckSpec
from bot.health.checks import HealthReport, run_health
from bot.health.targets import HealthTarget, Secret
from tests.fakes.servers import LocalServer, Reply

TARGETS = 20
TIMEOUT_S = 1.0
HANG_S = 30.0
RUNS = 3
CHECKS = (HealthCheckSpec("/api/v1/health"), HealthCheckSpec("/api/v1/health/system", "admin"),
          HealthCheckSpec("/ocsp/health"))
BODY = {"status": "ok", "version": "2.3.1",
        "components": {"database": {"status": "ok"}, "redis": {"status": "ok"}}}


def main() -> None:
    logging.getLogger("bot.health").setLevel(logging.ERROR)  # the hang's warning is expected
    servers = [LocalServer().start() for _ in range(TARGETS)]
    try:
        for i, server in enumerate(servers):
            server.route("/api/v1/health", Reply.json(BODY, delay_s=0.05))
            server.route("/api/v1/health/system", Reply.json(BODY, delay_s=0.1))
            hang = HANG_S if i == TARGETS // 2 else 0.0
            server.route("/ocsp/health", Reply.text("OK", delay_s=hang))
        targets = [HealthTarget(name=f"t{i:02d}", product="mazevault", base_url=s.url,
                                checks=CHECKS, token_env="BENCH_TOKEN", timeout_s=TIMEOUT_S,
                                token=Secret("bench-token"))
                   for i, s in enumerate(servers)]
        walls, report = [], None
        for _ in range(RUNS):
            t0 = time.perf_counter()
            report = run_health(targets)
            walls.append(time.perf_counter() - t0)
        assert report is not None
        _print(report, walls)
    finally:
        for server in servers:
            server.stop()


def _print(report: HealthReport, walls: list[float]) -> None:
    checks = [(t.name, c) for t in report.targets for c in t.checks]
    counts: dict[str, int] = {}
    for _, c in checks:
        counts[c.status] = counts.get(c.status, 0) + 1
    timed_out = [(n, c) for n, c in checks if c.reason == "timeout"]
    answered = [(n, c) for n, c in checks if c.latency_ms is not None]
    slowest_name, slowest = max(answered, key=lambda nc: nc[1].latency_ms or 0)
    worst = max(walls)
    limit = TIMEOUT_S + 1.0
    print(f"targets x checks:      {len(report.targets)} x {len(CHECKS)} = {len(checks)} checks"
          f" ({', '.join(f'{k} {v}' for k, v in sorted(counts.items()))})")
    print(f"timeout per check:     {TIMEOUT_S:.1f} s (one check hangs {HANG_S:.0f} s)")
    print(f"wall time, {len(walls)} runs:    " + ", ".join(f"{w:.2f} s" for w in walls) +
          f"  (median {statistics.median(walls):.2f} s)")
    for name, c in timed_out:
        print(f"slowest check:         {name} {c.path}: {c.error}")
    print(f"slowest answered:      {slowest_name} {slowest.path}: {slowest.latency_ms} ms")
    sequential = sum(c.latency_ms or TIMEOUT_S * 1000 for _, c in checks) / 1000
    print(f"sum of check times:    {sequential:.2f} s (what running them one by one would cost)")
    verdict = "OK" if worst < limit else "MISSED"
    print(f"target:                wall < timeout + 1 s = {limit:.1f} s: {verdict} "
          f"(worst {worst:.2f} s)")

"""What a health run produces, and how check statuses make a target's status.

Statuses: healthy < degraded < unhealthy < unreachable; "skipped" (an admin check not run
for this viewer) counts for nothing. A target is its worst check, except that it is
unreachable only when no check could connect: one path timing out while others answer
is a fault of the service (unhealthy), and `TargetReport.cause` names that path. Alerts
(bot.health.watch) depend on these words being right.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from bot.health.explain import MatchRef

__all__ = ["CheckResult", "HealthReport", "TargetReport", "target_status", "worst_status"]

_RANK = {"healthy": 0, "degraded": 1, "unhealthy": 2, "unreachable": 3}


@dataclass(frozen=True)
class CheckResult:
    """One endpoint's outcome. `url` never carries credentials; nothing here holds the token.

    reason: a short machine word for why (ok, components, status, body, auth, forbidden,
    not_found, http_error, server_error, redirect, timeout, refused, dns, tls_unknown_ca,
    tls, connect, restricted); `hint` is the advice to show beside `error`.
    """

    path: str
    url: str
    status: str
    http_status: int | None = None
    latency_ms: int | None = None
    components: dict[str, str] = field(default_factory=dict)
    info: dict[str, str] = field(default_factory=dict)
    error: str = ""
    summary: str = ""
    matches: tuple[MatchRef, ...] = ()
    hint: str = ""
    reason: str = "ok"
    admin: bool = False
    error_code: str = ""


@dataclass(frozen=True)
class TargetReport:
    """One target's status; `cause` names the check(s) that set it ("" when healthy)."""

    name: str
    product: str
    status: str
    checks: tuple[CheckResult, ...]
    cause: str = ""


@dataclass(frozen=True)
class HealthReport:
    targets: tuple[TargetReport, ...]
    started_at: datetime
    elapsed_ms: int

    @property
    def ok(self) -> bool:
        """True only when every target is healthy (the CLI's exit status 0)."""
        return all(t.status == "healthy" for t in self.targets)


def worst_status(checks: Iterable[CheckResult]) -> str:
    """The worst status among checks that ran; "skipped" when none ran."""
    ran = [c.status for c in checks if c.status in _RANK]
    return max(ran, key=_RANK.__getitem__) if ran else "skipped"


def target_status(checks: Iterable[CheckResult]) -> tuple[str, str]:
    """(status, cause) of one target from its checks.

    Unreachable only when no check that ran could connect: if the service answered on
    one path, it is reachable, and a path that timed out beside it is a fault of the
    service (unhealthy), not of the network. The cause names the checks behind the status.
    """
    ran = [c for c in checks if c.status in _RANK]
    if not ran:
        return "skipped", ""
    silent = [c for c in ran if c.status == "unreachable"]
    answered = [c for c in ran if c.status != "unreachable"]
    if silent and not answered:
        return "unreachable", _cause(silent)
    status = worst_status(answered)
    if silent:
        return "unhealthy", _cause(silent + [c for c in answered if c.status == "unhealthy"])
    return status, _cause([c for c in answered if c.status == status and status != "healthy"])


def _cause(checks: Sequence[CheckResult]) -> str:
    return "; ".join(f"{c.path}: {c.error or c.status}" for c in checks)

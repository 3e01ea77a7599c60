"""HealthReport -> terminal table, `--json` dict, Slack Block Kit, one-line summary.

Server-provided text (components, summaries, errors) is already cleaned of control
characters and secrets by bot.health; for Slack it goes through the same `escape` as
pasted text, so a body cannot ping @channel or forge links. Slack limits are respected:
50 blocks, 3000 characters per section, 150 per header.
"""

from __future__ import annotations

from bot.health.checks import CheckResult, HealthReport

EMOJI = {"healthy": ":large_green_circle:", "degraded": ":large_yellow_circle:",
         "unhealthy": ":red_circle:", "unreachable": ":black_circle:",
         "skipped": ":white_circle:"}


# --------------------------------------------------------------------------- summary


def health_summary(report: HealthReport) -> str:
    """One line naming every target's status; holds no server-provided text."""
    if not report.targets:
        return "No health targets checked"
    checks = [c for t in report.targets for c in t.checks]
    ran = [c for c in checks if c.status != "skipped"]
    good = sum(c.status == "healthy" for c in ran)
    skipped = len(checks) - len(ran)
    secs = f"{report.elapsed_ms / 1000:.1f} s"
    extra = f", {skipped} skipped" if skipped else ""
    n = len(report.targets)
    names = ", ".join(f"{t.name} {t.status}" for t in report.targets)
    if report.ok:
        plural = "s" if n != 1 else ""
        return (f"All {n} target{plural} healthy: {', '.join(t.name for t in report.targets)}"
                f" ({len(ran)} checks{extra}, {secs})")
    bad = sum(t.status != "healthy" for t in report.targets)
    return (f"{bad} of {n} target{'s' if n != 1 else ''} not healthy: {names} "
            f"({good} of {len(ran)} checks healthy{extra}, {secs})")


# --------------------------------------------------------------------------- JSON


def health_json(report: HealthReport) -> dict:
    """The `errcode health --json` document, exactly the documented shape."""
    return {"targets": [
        {"name": t.name, "product": t.product, "status": t.status,
         "checks": [_check_json(c) for c in t.checks]}
        for t in report.targets]}


def _check_json(c: CheckResult) -> dict:
    return {"path": c.path, "status": c.status, "http_status": c.http_status,
            "latency_ms": c.latency_ms, "components": dict(c.components),
            "error": c.error or None,
            "matches": [{"catalog": m.catalog, "code": m.code} for m in c.matches]}


# --------------------------------------------------------------------------- terminal


def health_text(report: HealthReport) -> str:
    """A readable table per target, with each failure's error, hint and catalog entries."""
    out = [health_summary(report)]
    for t in report.targets:
        out += ["", f"{t.name} ({t.product}) — {t.status.upper()}",
                f"  {'STATUS':<12} {'HTTP':>4} {'LATENCY':>8}  CHECK"]
        for c in t.checks:
            http = str(c.http_status) if c.http_status is not None else "-"
            latency = f"{c.latency_ms} ms" if c.latency_ms is not None else "-"
            info = f"  · version {c.info['version']}" if "version" in c.info else ""
            out.append(f"  {c.status:<12} {http:>4} {latency:>8}  {c.path}{info}")
            out += [f"{' ' * 16}{line}" for line in _details(c)]
    return "\n".join(out) + "\n"


def _details(c: CheckResult) -> list[str]:
    """The lines under a check: everything for a failure, the component count otherwise."""
    if c.status == "healthy":
        return [f"components: {len(c.components)} ok"] if c.components else []
    lines = []
    if c.components:
        lines.append("components: " + ", ".join(f"{k} {v}" for k, v in c.components.items()))
    if c.error:
        lines.append(f"error: {c.error}")
    if c.summary and c.status != "skipped" and c.reason not in ("components", "status"):
        lines.append(f"body: {c.summary}")
    extra = {k: v for k, v in c.info.items() if k != "version"}
    if extra:
        lines.append("info: " + ", ".join(f"{k} {v}" for k, v in extra.items()))
    if c.hint:
        lines.append(f"hint: {c.hint}")
    if c.matches:
        lines.append("see: " + ", ".join(f"{m.catalog} {m.code}" for m in c.matches))
    return lines



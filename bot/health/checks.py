"""Configured health targets -> concurrent httpx checks -> HealthReport.

Every check of every requested target runs at once (one AsyncClient per target), each
bounded by its target's timeout, so a report takes about as long as the slowest check.
Only configured base URLs are fetched; a redirect is followed only when it stays on the
base URL's scheme, host and port. The admin token goes only to checks marked
`auth: admin` and is scrubbed from everything a check reports or logs.

What a run produces and how check statuses make a target's (healthy < degraded <
unhealthy < unreachable; unreachable only when no check could connect) is in
bot.health.report; its names are re-exported here.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import ssl
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from functools import lru_cache
from http import HTTPStatus
from time import perf_counter
from urllib.parse import SplitResult, urljoin, urlsplit

import httpx

from bot.catalog.model import Catalog, HealthCheckSpec
from bot.health.body import BodyReading, clean, read_body
from bot.health.explain import MatchRef, classify_error, default_failure_refs, failure_text, scrub
from bot.health.report import (
    CheckResult,
    HealthReport,
    TargetReport,
    target_status,
    worst_status,
)
from bot.health.targets import HealthSettings, HealthTarget

__all__ = [
    "BODY_CAP", "CheckResult", "HealthReport", "MatchRef", "TargetReport", "admin_allowed",
    "check_targets", "default_failure_refs", "failure_text", "run_health", "target_status",
    "worst_status",
]

log = logging.getLogger(__name__)

BODY_CAP = 256 * 1024
MAX_REDIRECTS = 3
RESTRICTED = "restricted: admin checks are limited to the users and channels in " \
             "health.admin_access"
USER_AGENT = "errcode-health/0.1"

Explain = Callable[[str, str], Sequence[MatchRef]]
ClientFactory = Callable[[HealthTarget], httpx.AsyncClient]


# --------------------------------------------------------------------------- running


def run_health(targets: Sequence[HealthTarget], explain: Explain | None = None, *,
               catalog: Catalog | None = None, include_admin: bool = True,
               client_factory: ClientFactory | None = None) -> HealthReport:
    """Blocking wrapper around check_targets; safe from worker threads and from code that
    is already inside an event loop (it then runs on a fresh thread)."""
    def run() -> HealthReport:
        return asyncio.run(check_targets(targets, explain=explain, catalog=catalog,
                                         include_admin=include_admin,
                                         client_factory=client_factory))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


async def check_targets(targets: Sequence[HealthTarget], *, explain: Explain | None = None,
                        catalog: Catalog | None = None, include_admin: bool = True,
                        client_factory: ClientFactory | None = None) -> HealthReport:
    """Check every target concurrently and explain each failure.

    explain(product, failure_text) -> [MatchRef] is the triage hook; when it is absent or
    finds nothing, default_failure_refs (filtered by `catalog` when given) is used.
    include_admin=False leaves admin checks unrun, reported as skipped (restricted).
    """
    started = datetime.now(UTC)
    t0 = perf_counter()
    factory = client_factory or make_client
    per_target = await asyncio.gather(
        *(_check_target(t, factory, include_admin) for t in targets))
    reports = []
    for target, results in zip(targets, per_target, strict=True):
        explained = tuple(_explain(target.product, r, explain, catalog) for r in results)
        status, cause = target_status(explained)
        reports.append(TargetReport(target.name, target.product, status, explained, cause))
    return HealthReport(tuple(reports), started, round((perf_counter() - t0) * 1000))


def make_client(target: HealthTarget) -> httpx.AsyncClient:
    """The target's own client: its CA (or the default trust store), its timeout, no
    automatic redirects, no proxy or certificate settings taken from the environment."""
    return httpx.AsyncClient(
        verify=_ssl_context(target.ca_cert, _mtime(target.ca_cert)),
        timeout=httpx.Timeout(target.timeout_s), follow_redirects=False, trust_env=False,
        headers={"User-Agent": USER_AGENT, "Accept": "application/json"})


@lru_cache(maxsize=32)
def _ssl_context(ca_cert: str | None, _mtime: float) -> ssl.SSLContext:
    # Building a context reads a whole CA bundle: share one per file (and version of it).
    if ca_cert:
        return ssl.create_default_context(cafile=ca_cert)
    import certifi  # httpx's own default trust store

    return ssl.create_default_context(cafile=certifi.where())


def _mtime(path: str | None) -> float:
    try:
        return os.stat(path).st_mtime if path else 0.0
    except OSError:
        return 0.0


async def _check_target(target: HealthTarget, factory: ClientFactory,
                        include_admin: bool) -> list[CheckResult]:
    async with factory(target) as client:
        results = await asyncio.gather(
            *(_guarded(client, target, spec, include_admin) for spec in target.checks))
    for r in results:
        _log(target, r)
    return list(results)


async def _guarded(client: httpx.AsyncClient, target: HealthTarget, spec: HealthCheckSpec,
                   include_admin: bool) -> CheckResult:
    url = _join(target.base_url, spec.path)
    admin = spec.auth == "admin"
    if admin and not include_admin:
        return CheckResult(spec.path, url, "skipped", error=RESTRICTED, reason="restricted",
                           admin=True)
    token = _token(target) if admin else None
    t0 = perf_counter()
    try:
        # httpx bounds each phase; wait_for bounds the whole check (slow drips, redirects).
        result = await asyncio.wait_for(_fetch(client, target, spec, url, token, t0),
                                        timeout=target.timeout_s)
    except (TimeoutError, httpx.TimeoutException):
        result = CheckResult(spec.path, url, "unreachable",
                             error=f"timed out after {target.timeout_s:.1f} s",
                             hint=_network_hint(url), reason="timeout", admin=admin)
    except httpx.HTTPError as err:
        reason, message = classify_error(err, target.timeout_s)
        hint = ("set ca_cert for this target to the PEM file of the CA that signed the "
                "server's certificate" if reason == "tls_unknown_ca" else _network_hint(url))
        result = CheckResult(spec.path, url, "unreachable", error=message, hint=hint,
                             reason=reason, admin=admin)
    except Exception as err:  # a check must never take the whole report down
        log.warning("health_check_crashed target=%s path=%s error=%s", target.name,
                    spec.path, type(err).__name__)
        result = CheckResult(spec.path, url, "unreachable",
                             error=f"check failed: {type(err).__name__}", reason="connect",
                             admin=admin)
    return _scrubbed(result, token)


async def _fetch(client: httpx.AsyncClient, target: HealthTarget, spec: HealthCheckSpec,
                 url: str, token: str | None, t0: float) -> CheckResult:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    admin = spec.auth == "admin"
    for _hop in range(MAX_REDIRECTS + 1):
        async with client.stream("GET", url, headers=headers, follow_redirects=False) as resp:
            if resp.is_redirect:
                nxt = urljoin(url, resp.headers["location"])
                refusal = _redirect_refusal(target, nxt)
                if refusal:
                    return CheckResult(
                        spec.path, url, "unhealthy", http_status=resp.status_code,
                        latency_ms=_ms(t0), error=refusal, reason="redirect", admin=admin,
                        hint="set base_url to the address the service answers on")
                url = nxt
                continue
            data, truncated = await _read_capped(resp, BODY_CAP)
            if token:  # an echoed admin token goes before anything reads (or cuts) the body
                data = data.replace(token.encode(), _TOKEN_PLACEHOLDER)
            body = read_body(data, resp.headers.get("content-type", ""),
                             truncated=truncated, cap=BODY_CAP)
            return _interpret(target, spec, url, resp.status_code, body, _ms(t0))
    return CheckResult(spec.path, url, "unhealthy", latency_ms=_ms(t0), reason="redirect",
                       error=f"more than {MAX_REDIRECTS} redirects", admin=admin)


async def _read_capped(resp: httpx.Response, cap: int) -> tuple[bytes, bool]:
    """At most `cap` bytes; the rest is never read (the connection is closed instead)."""
    buf = bytearray()
    async for chunk in resp.aiter_bytes():
        buf += chunk
        if len(buf) > cap:
            return bytes(buf[:cap]), True
    return bytes(buf), False


_TOKEN_PLACEHOLDER = b"[REDACTED:token#1]"


def _redirect_refusal(target: HealthTarget, location: str) -> str:
    """Why a redirect is not followed ("" when it may be)."""
    to, base = urlsplit(location), urlsplit(target.base_url)
    host = clean(to.hostname or "?", 80)
    if (to.hostname or "").lower() != (base.hostname or "").lower():
        return f"redirect to another host ({host}) not followed"
    if (to.scheme, _port(to)) != (base.scheme, _port(base)):
        return (f"redirect to {to.scheme}://{host}:{_port(to)} not followed (only the "
                "base_url's scheme and port are)")
    if not target.follow_redirects:
        return "redirect not followed (follow_redirects is false for this target)"
    return ""


def _port(parts: SplitResult) -> int | None:
    try:
        port = parts.port
    except ValueError:
        return None
    return port or {"http": 80, "https": 443}.get(parts.scheme)


def _interpret(target: HealthTarget, spec: HealthCheckSpec, url: str, code: int,
               body: BodyReading, latency_ms: int) -> CheckResult:
    admin = spec.auth == "admin"
    status, reason, error, hint = "healthy", "ok", "", ""
    phrase = _phrase(code)
    if 200 <= code < 300:
        if body.kind == "json":
            bad = body.not_ok
            if body.overall_level == "unhealthy":
                status, reason = "unhealthy", "status"
                error = f"health endpoint reports status '{body.overall}'"
            elif body.overall_level == "degraded" or bad:
                status, reason = "degraded", "components" if bad else "status"
                error = (f"health endpoint reports status '{body.overall}'"
                         if body.overall_level == "degraded" else "")
            if bad:
                listed = ", ".join(f"{k}: {v}" for k, v in list(bad.items())[:5])
                error = "; ".join(p for p in (error, f"not ok: {listed}") if p)
        elif body.kind == "text" and body.overall_level not in (None, "healthy"):
            status, reason = body.overall_level or "degraded", "status"
            error = f"health endpoint says '{body.overall}'"
        elif body.truncated or (body.kind in ("html", "text") and body.overall_level is None):
            status, reason = "degraded", "body"
            error = f"HTTP {code} but the body is not a health response"
    elif code == 401:
        status, reason = "unhealthy", "auth"
        if admin:
            error = f"401 {phrase}: admin token missing or rejected"
            hint = f"check that {target.token_env or 'token_env'} holds a valid admin token"
        else:
            error = f"401 {phrase}: this endpoint needs authentication"
            hint = "mark the check auth: admin and set token_env for this target"
    elif code == 403:
        status, reason = "unhealthy", "forbidden"
        error = (f"403 {phrase}: the admin token lacks permission" if admin
                 else f"403 {phrase}: access denied")
    elif code == 404:
        status, reason = "unhealthy", "not_found"
        error = f"404 {phrase}: no health endpoint at this path"
        hint = "check base_url and the check's path"
    elif code >= 500:
        status, reason = "unhealthy", "server_error"
        error = f"HTTP {code} {phrase}".rstrip()
    else:
        status, reason = "unhealthy", "http_error"
        error = f"HTTP {code} {phrase}".rstrip()
    if status != "healthy" and reason not in ("components", "status"):
        if body.error_code:
            error += f" ({body.error_code})"
        if body.not_ok:
            error += "; not ok: " + ", ".join(f"{k}: {v}" for k, v in list(body.not_ok.items())[:5])
    return CheckResult(spec.path, url, status, http_status=code, latency_ms=latency_ms,
                       components=dict(body.components), info=dict(body.info), error=error,
                       summary=body.summary, hint=hint, reason=reason, admin=admin,
                       error_code=body.error_code)


def _phrase(code: int) -> str:
    # The standard phrase, never the server's own reason text.
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _explain(product: str, result: CheckResult, explain: Explain | None,
             catalog: Catalog | None) -> CheckResult:
    if result.status in ("healthy", "skipped"):
        return result
    refs: tuple[MatchRef, ...] = ()
    if explain is not None:
        try:
            refs = tuple(explain(product, failure_text(result, product, catalog)))
        except Exception as err:  # triage trouble must not hide the health result
            log.warning("health_explain_failed product=%s path=%s error=%s", product,
                        result.path, type(err).__name__)
    if not refs:
        refs = default_failure_refs(product, result, catalog)
    return replace(result, matches=tuple(dict.fromkeys(refs))[:5])


# --------------------------------------------------------------------------- access


def admin_allowed(settings: HealthSettings, user_id: str | None,
                  channel_id: str | None) -> bool:
    """May this Slack user, in this channel, run and see admin checks? Empty lists: yes."""
    if not settings.admin_users and not settings.admin_channels:
        return True
    return (user_id is not None and user_id in settings.admin_users) or \
        (channel_id is not None and channel_id in settings.admin_channels)


# --------------------------------------------------------------------------- helpers


def _token(target: HealthTarget) -> str | None:
    if target.token is not None:
        return target.token.reveal()
    value = os.environ.get(target.token_env, "") if target.token_env else ""
    return value.strip() or None


def _join(base_url: str, path: str) -> str:
    return base_url.rstrip("/") + "/" + path.lstrip("/")


def _ms(t0: float) -> int:
    return round((perf_counter() - t0) * 1000)


def _network_hint(url: str) -> str:
    host = urlsplit(url).hostname or "the host"
    return f"network diagnostics: curl -v {url} ; nslookup {host}"


def _scrubbed(r: CheckResult, token: str | None) -> CheckResult:
    """Every server- or library-provided string, with the token and credentials removed."""
    def s(text: str) -> str:
        return scrub(text, token)

    return replace(r, url=s(r.url), error=s(r.error), summary=s(r.summary), hint=s(r.hint),
                   error_code=s(r.error_code),
                   components={s(k): s(v) for k, v in r.components.items()},
                   info={s(k): s(v) for k, v in r.info.items()})


def _log(target: HealthTarget, r: CheckResult) -> None:
    fields = {"target": target.name, "product": target.product, "path": r.path,
              "status": r.status, "http_status": r.http_status, "latency_ms": r.latency_ms,
              "reason": r.reason, "error": r.error or None}
    line = " ".join(f"{k}={_kv(v)}" for k, v in fields.items() if v is not None)
    log.log(logging.INFO if r.status in ("healthy", "skipped") else logging.WARNING,
            "health_check %s", line)


def _kv(value: object) -> str:
    text = str(value)
    return json.dumps(text) if (not text or any(c in text for c in ' "=')) else text

"""What went wrong in a health check, in words people (and triage) understand.

- classify_error: an httpx/ssl/socket failure -> (reason, message), e.g. ("tls_unknown_ca",
  "TLS: certificate signed by unknown authority — set ca_cert for this target").
- failure_text: a failed check -> text for the triage engine ("database unhealthy: ...").
- default_failure_refs: the catalog entries a failure points at when triage has no answer.
- scrub: tokens and URL credentials out of any text before it is shown or logged.

What a failure means for a product (a database component down -> its database entries)
is catalog data, `product.health_failures`; this module knows only HTTP and networks.
Without a catalog the shipped one is used.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

import httpx

from bot.health.body import clean, level
from bot.redact import Redactor
from bot.text import fold

if TYPE_CHECKING:
    from bot.catalog.model import Catalog, HealthFailure
    from bot.health.checks import CheckResult


@dataclass(frozen=True)
class MatchRef:
    """A catalog entry a failure points at."""

    catalog: str
    code: str


# OpenSSL verify codes meaning "no trusted issuer": 2 unable to get issuer, 18 self-signed
# leaf, 19 self-signed in chain, 20 unable to get local issuer, 21 unable to verify leaf.
_UNKNOWN_CA_CODES = frozenset({2, 18, 19, 20, 21})
_UNKNOWN_CA_TEXT = ("unable to get local issuer certificate", "self-signed certificate",
                    "self signed certificate", "unknown authority", "unable to get issuer")
TLS_UNKNOWN_CA = "TLS: certificate signed by unknown authority — set ca_cert for this target"


def classify_error(err: BaseException, timeout_s: float) -> tuple[str, str]:
    """(reason, message) for a failed request; the message names no URL and no secret."""
    for exc in _chain(err):
        if isinstance(exc, ssl.SSLCertVerificationError):
            if exc.verify_code in _UNKNOWN_CA_CODES:
                return "tls_unknown_ca", TLS_UNKNOWN_CA
            return "tls", f"TLS: certificate verify failed: {clean(exc.verify_message, 100)}"
        if isinstance(exc, ssl.SSLError):
            why = clean(exc.reason or exc, 80).lower().replace("_", " ")
            extra = " (is it http, not https?)" if "wrong version" in why else ""
            return "tls", f"TLS handshake failed: {why}{extra}"
        if isinstance(exc, ConnectionRefusedError) or getattr(exc, "errno", None) == \
                errno.ECONNREFUSED:
            return "refused", "connection refused"
        if isinstance(exc, socket.gaierror):
            return "dns", "DNS lookup failed: host not found"
        if isinstance(exc, (TimeoutError, httpx.TimeoutException)):
            return "timeout", f"timed out after {timeout_s:.1f} s"
        if isinstance(exc, ConnectionResetError):
            return "connect", "connection reset by the server"
    text = str(err)
    low = text.lower()
    if "certificate_verify_failed" in low or "certificate verify failed" in low:
        if any(t in low for t in _UNKNOWN_CA_TEXT):
            return "tls_unknown_ca", TLS_UNKNOWN_CA
        return "tls", "TLS: certificate verify failed"
    if "connection refused" in low:
        return "refused", "connection refused"
    if isinstance(err, httpx.RemoteProtocolError):
        return "connect", f"server broke the HTTP protocol: {clean(scrub(text), 100)}"
    return "connect", f"connection failed: {clean(scrub(text), 100) or type(err).__name__}"


def _chain(err: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    exc: BaseException | None = err
    while exc is not None and exc not in out and len(out) < 12:
        out.append(exc)
        exc = exc.__cause__ or exc.__context__
    return out


def scrub(text: str, token: str | None = None) -> str:
    """Server text with the target's own token and every other secret redacted."""
    if not text:
        return text
    return Redactor([re.escape(token)] if token else ()).redact(text)


def failure_text(check: CheckResult, product: str | None = None,
                 catalog: Catalog | None = None) -> str:
    """A failed check in the words the catalog uses, for the triage engine to match.

    A component not healthy is described with the `says` of the product's first
    health_failures rule naming it ("database unhealthy: health endpoint reports db as
    down"); other rules that hold add their `says`; then the HTTP or network reason.
    """
    rules = _rules(product, catalog)
    bad = _bad_components(check)
    parts: list[str] = []
    said: set[str] = set()
    for name, state in bad.items():
        rule = next((r for r in rules if r.says and r.component
                     and _regex(r.component).search(name)), None)
        if rule is not None and rule.says:
            parts.append(f"{rule.says}: health endpoint reports {name} as {state}")
            said.add(rule.says)
        else:
            parts.append(f"{name} {state}")
    if check.status not in ("healthy", "skipped"):
        for rule in rules:
            if rule.says and rule.says not in said and _holds(rule, check, bad):
                parts.append(f"{rule.says}: health endpoint {check.path} check failed")
                said.add(rule.says)
    reason = check.reason
    if reason == "tls_unknown_ca":
        parts.append("x509: certificate signed by unknown authority; TLS certificate "
                     "validation failed")
    elif reason == "tls":
        parts.append(f"TLS certificate validation failed: {check.error}")
    elif reason == "refused":
        parts.append("connection refused: network connectivity, cannot reach the server")
    elif reason == "timeout":
        parts.append("timed out: network connectivity, the server did not answer in time")
    elif reason == "dns":
        parts.append("DNS resolution failed: network connectivity")
    elif reason == "connect":
        parts.append(f"network connectivity: {check.error}")
    elif reason == "auth":
        parts.append("HTTP 401 Unauthorized: " + (
            "admin token is invalid or expired" if check.admin
            else "no authentication token provided"))
    elif reason == "forbidden":
        parts.append("HTTP 403 Forbidden: permission denied")
    elif reason in ("server_error", "http_error", "not_found"):
        parts.append(f"HTTP {check.http_status} error on health endpoint {check.path}")
    if check.error_code:
        parts.append(check.error_code)
    if check.error and reason not in ("tls", "connect"):
        parts.append(check.error)
    return "; ".join(parts)


def default_failure_refs(product: str, check: CheckResult,
                         catalog: Catalog | None = None) -> tuple[MatchRef, ...]:
    """Catalog entries a failed check points at, without the triage engine.

    The code the health answer named comes first, then the codes of every rule of the
    product's `health_failures` that holds, in the catalog's order; only codes `product`
    has are returned (spelled as there). Without a catalog the shipped one is used.
    """
    if check.status in ("healthy", "skipped"):
        return ()
    catalog = catalog if catalog is not None else _shipped()
    bad = _bad_components(check)
    wanted: list[str] = [check.error_code] if check.error_code else []
    for rule in _rules(product, catalog):
        if _holds(rule, check, bad):
            wanted.extend(rule.codes)
    spelled = {fold(e.code): e.code for e in catalog.by_catalog(product)}
    found = dict.fromkeys(spelled[fold(c)] for c in wanted if fold(c) in spelled)
    return tuple(MatchRef(product, code) for code in found)


def _rules(product: str | None, catalog: Catalog | None) -> tuple[HealthFailure, ...]:
    if not product:
        return ()
    found = (catalog if catalog is not None else _shipped()).products.get(product)
    return found.health_failures if found is not None else ()


def _shipped() -> Catalog:
    from bot.catalog.load import shipped_catalog  # the catalog is loaded only when needed

    return shipped_catalog()


def _holds(rule: HealthFailure, check: CheckResult, bad: dict[str, str]) -> bool:
    """Every condition the rule gives holds for this failed check."""
    return ((rule.component is None or any(_regex(rule.component).search(k) for k in bad))
            and (rule.path is None or bool(_regex(rule.path).search(check.path)))
            and (not rule.reasons or check.reason in rule.reasons)
            and (rule.http_status is None or rule.http_status == check.http_status)
            and (rule.error_code is None or fold(rule.error_code) == fold(check.error_code))
            and (rule.admin is None or rule.admin == check.admin))


def _bad_components(check: CheckResult) -> dict[str, str]:
    return {k: v for k, v in check.components.items() if level(v) != "healthy"}


@lru_cache(maxsize=256)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)




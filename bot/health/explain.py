"""What went wrong in a health check, in words people (and triage) understand.

- classify_error: an httpx/ssl/socket failure -> (reason, message), e.g. ("tls_unknown_ca",
  "TLS: certificate signed by unknown authority — set ca_cert for this target").
- failure_text: a failed check -> text for the triage engine ("database unhealthy: ...").
- default_failure_refs: the built-in mapping to catalog entries when triage has no answer.
- scrub: tokens and URL credentials out of any text before it is shown or logged.
"""

from __future__ import annotations

import errno
import re
import socket
import ssl
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

from bot.health.body import clean, level

if TYPE_CHECKING:
    from bot.catalog.model import Catalog
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
_DB_NAMES = re.compile(r"(?i)data[ _-]?base|\bdb\b|postgres|mysql|mariadb|\bsql|mongo|^db[_-]|"
                       r"[_-]db$")
_OCSP_NAMES = re.compile(r"(?i)ocsp")
_NETWORK_REASONS = frozenset({"refused", "timeout", "dns", "connect"})
# Codes documented in the MazeVault troubleshooting guide (used when no Catalog is given).
_KNOWN_CODES = {"mazevault": frozenset({
    "DATABASE_ERROR", "database-connection-errors", "ocsp-errors", "agent-registration-fails",
    "AUTH_REQUIRED", "AUTH_INVALID", "AUTH_EXPIRED", "PERMISSION_DENIED", "INTERNAL_ERROR",
})}


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
    """Text without the token, Bearer values, URL credentials or token-like query values."""
    if not text:
        return text
    if token:
        text = text.replace(token, "***")
    text = re.sub(r"(?i)\b(bearer|basic)(\s+)[^\s\"',;]+", r"\1\2***", text)
    text = re.sub(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/\s@]+@", r"\1", text)
    return re.sub(r"(?i)\b((?:access_)?token|api_?key|password|secret)=[^\s&\"']+", r"\1=***",
                  text)


def failure_text(check: CheckResult) -> str:
    """A failed check in the words the catalog uses, for the triage engine to match."""
    parts: list[str] = []
    bad = {k: v for k, v in check.components.items() if level(v) != "healthy"}
    for name, state in bad.items():
        if _DB_NAMES.search(name):
            parts.append(f"database unhealthy: health endpoint reports database as {state}")
        elif _OCSP_NAMES.search(name):
            parts.append(f"OCSP responder unhealthy: {name} reports {state}")
        else:
            parts.append(f"{name} {state}")
    if _is_ocsp(check) and not any("OCSP" in p for p in parts):
        parts.append("OCSP responder unhealthy: OCSP health endpoint check failed")
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

    With a catalog, only codes that exist for `product` are returned (spelled as there);
    without one, only the MazeVault codes this module knows to be documented.
    """
    if check.status in ("healthy", "skipped"):
        return ()
    wanted: list[str] = []
    if check.error_code:
        wanted.append(check.error_code)
    bad = [k for k, v in check.components.items() if level(v) != "healthy"]
    if any(_DB_NAMES.search(k) for k in bad) or check.error_code == "DATABASE_ERROR":
        wanted += ["DATABASE_ERROR", "database-connection-errors"]
    if _is_ocsp(check):
        wanted.append("ocsp-errors")
    reason = check.reason
    if reason in ("tls_unknown_ca", "tls"):
        wanted.append("agent-registration-fails")
    elif reason in _NETWORK_REASONS:
        wanted += ["agent-registration-fails", "network-diagnostics"]
    elif reason == "auth":
        wanted += (["AUTH_INVALID", "AUTH_EXPIRED", "AUTH_REQUIRED"] if check.admin
                   else ["AUTH_REQUIRED"])
    elif reason == "forbidden":
        wanted.append("PERMISSION_DENIED")
    elif reason == "server_error":
        if check.http_status == 503:
            wanted.append("SERVICE_UNAVAILABLE")
        wanted.append("INTERNAL_ERROR")
    return tuple(MatchRef(product, code) for code in _existing(product, wanted, catalog))


def _existing(product: str, wanted: list[str], catalog: Catalog | None) -> list[str]:
    if catalog is None:
        known = _KNOWN_CODES.get(product, frozenset())
        return list(dict.fromkeys(c for c in wanted if c in known))
    spelled = {_norm(e.code): e.code for e in catalog.by_catalog(product)}
    return list(dict.fromkeys(spelled[_norm(c)] for c in wanted if _norm(c) in spelled))


def _norm(code: str) -> str:
    return re.sub(r"[\s_\-.]+", "", code.lower())


def _is_ocsp(check: CheckResult) -> bool:
    if "ocsp" in check.path.lower() and check.status not in ("healthy", "skipped"):
        return True
    return any(_OCSP_NAMES.search(k) and level(v) != "healthy"
               for k, v in check.components.items())

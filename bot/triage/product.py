"""Evidence -> which product a paste concerns, with the reasons a person can check.

Two products may document the same code (`RATE_LIMITED`, `rate_limited`); what settles
which one a paste is about is the product's name in the text, the JSON envelope shape,
the request-id format, the product's documented host and API paths, and the channel's
default product. Each adds to a score; the
leader is the product, and a tie leaves it open (both products are then shown).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator

from bot.catalog.model import Catalog
from bot.text import ascii_lower, bounded_after_first, fold
from bot.triage.evidence import Evidence

NAME_SCAN_CHARS = 200_000

ProductScores = defaultdict[str, float]
ProductReasons = defaultdict[str, list[str]]


class ProductEvidence:
    """The catalog's products indexed for recognising them in a paste."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        # Read on the lowercased text (`ascii_lower`: the same offsets as the original).
        self.name_patterns = [(p.catalog, _name_pattern({p.name, p.catalog, *p.aliases}))
                              for p in catalog.products.values()]
        self.request_id_patterns = {
            p.catalog: re.compile(rf"\b(?:{p.request_id_pattern})\b")
            for p in catalog.products.values() if p.request_id_pattern
        }
        self.places = _documented_places(catalog)
        self.status_near_name = StatusNearName(catalog)
        self.documented = frozenset(fold(e.code) for e in catalog.entries)

    def named_in(self, sentence: str) -> str:
        """The one product a sentence names ("" for none or several): in a paste about two
        products, each sentence's errors belong to the product it names."""
        low = ascii_lower(sentence)
        named = [catalog for catalog, pattern in self.name_patterns if pattern.search(low)]
        return named[0] if len(named) == 1 else ""

    def score(self, ev: Evidence, hint: str | None) -> tuple[ProductScores, ProductReasons]:
        """Points and reasons per product catalog; `hint` is e.g. a channel's default."""
        scores: ProductScores = defaultdict(float)
        reasons: ProductReasons = defaultdict(list)
        sample = ev.text[:NAME_SCAN_CHARS]
        low = ascii_lower(sample)
        for catalog, pattern in self.name_patterns:
            m = pattern.search(low)
            if m:
                scores[catalog] += 3.0
                reasons[catalog].append(f"names the product ({sample[m.start():m.end()]})")
        for shape in ev.shapes:
            # The shape is a product's when its code is documented or spelt that product's
            # way: Azure's {"error": {"code": "AuthorizationFailed"}} is not ScaiVault's.
            codes = [m.code for m in ev.mentions if m.shape == shape]
            styles = {code_style(c) for c in codes}
            documented = any(fold(c) in self.documented for c in codes)
            owners = [p.catalog for p in self.catalog.products.values()
                      if shape in p.envelopes and (documented or p.code_style == "any"
                                                   or p.code_style in styles)]
            for catalog in owners:
                scores[catalog] += 2.0 / len(owners)
                reasons[catalog].append(f"{shape.replace('_', ' ')} JSON shape")
        for catalog, pattern in self.request_id_patterns.items():
            if any(pattern.fullmatch(r) for r in ev.request_ids):
                scores[catalog] += 2.0
                reasons[catalog].append("request id format")
        for catalog, (pattern, weight) in self.places.items():
            m = pattern.search(low)
            if m:
                scores[catalog] += weight
                reasons[catalog].append(
                    f"documented host or API path ({sample[m.start():m.end()]})")
        if hint and hint in self.catalog.products:
            scores[hint] += 1.5
            reasons[hint].append("channel default")
        return scores, reasons


def code_style(word: str) -> str | None:
    """`upper_snake` or `lower_snake` when a word is spelled like a product's codes."""
    if re.fullmatch(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+", word):
        return "upper_snake"
    if re.fullmatch(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)+", word):
        return "lower_snake"
    return None


def leader(scores: dict[str, float]) -> str | None:
    """The product with the most points; None when none has any or the top two tie."""
    if not scores:
        return None
    ordered = sorted(scores.items(), key=lambda kv: (-kv[1], kv[0]))
    if ordered[0][1] <= 0 or (len(ordered) > 1 and ordered[1][1] == ordered[0][1]):
        return None
    return ordered[0][0]


def _name_pattern(names: set[str]) -> re.Pattern[str]:
    """One pattern for every name of a product, for lowercased text: longest first so the
    longest is reported, equal lengths in name order (never hash order)."""
    return re.compile(rf"(?:{_names_alternation(names)})\b")


def _names_alternation(names: set[str]) -> str:
    """The names as one regex alternation. Each name's leading word boundary is written
    after its first letter: a pattern that opens with a boundary is tried at every offset
    of the paste (~10 ms per 200 KB), one that opens with a letter only where that letter
    is."""
    ordered = sorted({n.lower() for n in names if n}, key=lambda n: (-len(n), n))
    written = [(n, re.escape(n).replace(r"\ ", r"[\s_-]?")) for n in ordered]
    # A name that opens with punctuation keeps its `\b` (`\b.net`: right after a word).
    return "|".join(bounded_after_first(e, r"\w") if n[0].isalnum() else rf"\b{e}"
                    for n, e in written)


class StatusNearName:
    """A 4xx/5xx written right after a product's name ("scaivault 401 on every call",
    "MazeVault's 503") or said to come from it or its documented host ("429 from
    vault.example.com"): an HTTP status, though no status word stands beside it. Not a
    version ("ScaiVault 2.8.3"). Read on the lowercased paste (`bot.triage.http_facts`).

    Each search opens with a literal (a name's first letter, "from"), and the number is
    read where one matched: one pattern with both alternatives was tried at every offset
    of a megabyte (35-70 ms); at most `LIMIT` places of each kind are read."""

    LIMIT = 200
    _AFTER_NAME = re.compile(r"(?:'s)?[,:]?[ \t]{1,3}+([45][0-9][0-9])(?![0-9]|\.[0-9])")
    _BEFORE_FROM = re.compile(r"([45][0-9][0-9])s?[`'\"]?[ \t]{1,3}+$")

    def __init__(self, catalog: Catalog) -> None:
        names = {n for p in catalog.products.values()
                 for n in (p.name, p.catalog, *p.aliases)}
        hosts = {p.default_host for p in catalog.products.values()
                 if p.default_host and p.default_host != "example.com"}
        named = _names_alternation(names)
        sources = "|".join([named, *(re.escape(h.lower()) for h in sorted(hosts))])
        self._names = re.compile(rf"(?:{named})\b")
        self._from = re.compile(rf"from[ \t]{{1,3}}+(?:the[ \t]{{1,3}}+)?(?:{sources})\b")

    def __call__(self, low: str) -> Iterator[tuple[int, int]]:
        """(status, offset) of each such status in the lowercased paste (its first
        NAME_SCAN_CHARS, where product names are read)."""
        for count, m in enumerate(self._names.finditer(low, 0, NAME_SCAN_CHARS)):
            if count >= self.LIMIT:
                break
            after = self._AFTER_NAME.match(low, m.end())
            if after:
                yield int(after.group(1)), after.start(1)
        if "from" not in low:
            return
        for count, m in enumerate(self._from.finditer(low, 0, NAME_SCAN_CHARS)):
            if count >= self.LIMIT:
                break
            before = self._BEFORE_FROM.search(low, max(0, m.start() - 8), m.start())
            if before and (before.start() == 0 or not low[before.start() - 1].isalnum()):
                yield int(before.group(1)), before.start(1)


def _documented_places(catalog: Catalog) -> dict[str, tuple[re.Pattern[str], float]]:
    """Per product, its documented host and the API path prefix of its health checks
    (`/api/v1/` from `/api/v1/health`), where no other product shares them. Weaker than
    the product's name: `/api/v1/` is common elsewhere, it only settles a tie."""
    prefixes: dict[str, set[str]] = {}
    for p in catalog.products.values():
        for check in p.health_checks:
            parts = [s for s in check.path.split("/") if s]
            if len(parts) >= 3:
                prefixes.setdefault("/" + "/".join(parts[:2]) + "/", set()).add(p.catalog)
    hosts: dict[str, set[str]] = {}
    for p in catalog.products.values():
        if p.default_host and p.default_host != "example.com":
            hosts.setdefault(p.default_host, set()).add(p.catalog)
    out: dict[str, tuple[re.Pattern[str], float]] = {}
    for p in catalog.products.values():
        own_hosts = [h for h, owners in hosts.items() if owners == {p.catalog}]
        own_paths = [x for x, owners in prefixes.items() if owners == {p.catalog}]
        # Lowercase, for the lowercased paste (`ProductEvidence.score`).
        alts = [bounded_after_first(re.escape(h.lower()), r"[\w.-]") + r"\b"
                for h in own_hosts]
        alts += [re.escape(x.lower()) for x in own_paths]
        if alts:
            out[p.catalog] = (re.compile("|".join(alts)), 1.0)
    return out


# Well-known other software whose own error output is often pasted: when a paste carries
# one of these marks and nothing of our products, a match on shared words is a coincidence
# more often than not. A feature for the confidence rule, not a veto. Plain substrings of
# the lowercased paste: linear, and a few C-speed scans even on a 1 MB paste.
_FOREIGN_MARKS = (
    "npm err!", "npm error", "eresolve", "pip install", "pip's dependency resolver",
    "module not found: error", "webpack", "error response from daemon", "imagepullbackoff",
    "crashloopbackoff", "errimagepull", "terraform", "\tat java.", "\tat org.", "\tat com.",
    "    at java.", "    at org.", "    at com.", 'exception in thread "', "\npanic: ",
    "error[e0", "cargo ", "rustc", "sqlstate", "ora-0", "ora-1", "ora-2", "mysql", "nginx",
    "google", "amazonaws.com", "registry.npmjs.org", "openai",
    "elasticsearch", "gradle", "maven", "yarn install", "yarn add",
    "password authentication failed", "duplicate key value",
    # ... and the names other software signs its errors with
    "node_modules", "botocore", "boto3", "aws cli", "gcloud", "skopeo", "quay.io", "harbor",
    "twilio", "stripe", "api.slack.com", "slack api", "an api error occurred: ", "github",
    "mongo", "e11000", "springframework", "spring boot", "hikari", "keycloak", "okta",
    "auth0", "hashicorp", ":8200/", "vault is sealed", "envoy", "upstream connect error",
    "curl: (", "ssl certificate problem", "jsonwebtoken", "express-jwt",
    "azure", "microsoft", "amazon", "heroku", "cloudflare", "jenkins", "gitlab", "ansible",
    "go: ", "goroutine ", "requirements.txt", "package.json", "go.mod", "cargo.toml",
    "pom.xml", "build.gradle", "gemfile", "composer.json", "pyproject.toml",
    "_engine_exception", "root_cause", "firebase", "spring security", "'_csrf'", "laravel",
    "django", "wordpress", "verification failed. request aborted", "psycopg2", "psycopg",
    "arn:aws:", "x509: ",
    # ... their registries, daemons and log signatures (nginx's "from upstream, client:")
    "docker: ", "docker.sock", "docker daemon", "docker.io", "docker.com/", "toomanyrequests",
    "fatal: could not read", "from upstream, client:",
    "upstream prematurely", "kibana", "logstash", "opensearch", "grafana", "prometheus",
    "consul", '"apiversion":"v1"', "io.kubernetes", "velero", "dapr", "argocd", "istio",
    "artifactory", "jfrog", "pypi", "crates.io", "rubygems", "/gems/", "aws::", "aws-sdk",
    "xmlhttprequest", "vault::", "rabbitmq", "kafka", "celery", "letsencrypt", "pg_dump",
    "psql", "when calling the ", "pq: ", "unexpected response code: ",
    # Slack's Web API reply (`{"ok": false, "error": ...}`), Ansible's task failures,
    # CouchDB, Let's Encrypt, AWS's Python libraries (`aws_encryption_sdk`, `aws_lambda`)
    '"ok":false', '"ok": false', "ok: false", "failed! =>", "couchdb", "let's encrypt",
    "aws_",
)


# Error codes other widely used software emits verbatim, as it spells them: gRPC's
# status names (also Google APIs' `"status"`), OAuth 2.0's error codes (RFC 6749 5.2, RFC
# 6750 3.1) and the Slack Web API's. In other software's output that names none of our
# products, such a code is that software's, though one of our catalogs spells it too.
FOREIGN_CODES = frozenset((
    # gRPC
    "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
    # OAuth 2.0
    "invalid_request", "invalid_client", "invalid_grant", "unauthorized_client",
    "unsupported_grant_type", "invalid_scope", "invalid_token", "insufficient_scope",
    "access_denied", "server_error", "temporarily_unavailable",
    # Slack Web API (and its webhooks' `{"ok": false, "error": "rate_limited"}`)
    "not_authed", "invalid_auth", "account_inactive", "token_revoked", "token_expired",
    "no_permission", "missing_scope", "ratelimited", "rate_limited", "internal_error",
    "fatal_error", "request_timeout", "service_unavailable", "invalid_arguments",
))


def foreign_tool(text: str) -> bool:
    """The paste shows the error output of well-known other software."""
    low = text[:NAME_SCAN_CHARS].lower()
    return any(mark in low for mark in _FOREIGN_MARKS)

"""Secrets out of any text before it is stored, logged, posted or uploaded.

Each secret becomes `[REDACTED:<kind>#<n>]`; one `Redactor` gives the same secret
the same placeholder across all its calls, so a whole escalation packet reads
consistently. Key and header names stay visible (`password=[REDACTED:password#1]`,
`Authorization: Bearer [REDACTED:authorization#1]`: the auth scheme is kept).

Kinds: token, jwt, password, secret, private_key, cookie, authorization, custom.
Kept on purpose: request ids, error codes (`token_expired`, `AUTH_EXPIRED`), key
names (`secret_type`), paths, documentation placeholders (`<token>`, `$SV_TOKEN`)
and earlier placeholders, so redacting twice changes nothing.

What is found (tests/redact_corpus/formats.yml lists every format, with its source):
- a value after a secret-sounding key, in any syntax: `k=v`, `k: v`, `"k": "v"`, `k := v`,
  `k => v`, `$k = 'v'`, `k ?= v`, `var k string = "v"`, `k "v";`, `"v" == k`, `k("v")`,
  `<k>v</k>`, `k="v"`, `--k v`, `{"name": k, "value": v}`, YAML block scalars (`k: |`),
  connection strings (`AccountKey=..;`, `PWD=..;`), Kubernetes Secret `data:`;
- command lines: `curl -u u:p`, `mysql -pX`, `sshpass -p X`, `-p'x'`, `docker login -p X`,
  `redis-cli -a X`, SQL `PASSWORD 'x'` / `IDENTIFIED BY 'x'`, Oracle `scott/tiger@//h/s`,
  `.netrc` lines, URL userinfo (`postgres://u:pa#ss@h`);
- headers (Authorization, Proxy-Authorization, Cookie, Set-Cookie), `Bearer x`;
- known shapes without any key: the prefixed tokens of the gitleaks and detect-secrets
  rule sets (xoxb-, ghp_, glpat-, AKIA, sk_live_, hvs., dapi, SG., npm_, pypi-, sk-ant-,
  ...), JWTs (signed or not), webhooks, PEM / SSH2 / PGP / PuTTY private keys.

Every scanner is one pass of a compiled regex with bounded quantifiers (or a linear
walk); most start with a literal (the words run on a lowercased copy of the same length),
so the regex engine skips through a paste in C: 1 MB of mixed text takes ~0.1 s. Spans
from all scanners are merged (overlaps join, the most specific kind names the result) and
replaced in one pass. Where a replacement may change what another scanner sees (the
placeholder is glued to a word, or the span held a quote, bracket or line end), the pass
runs again, at most 3 more times, until nothing changes: `redact(redact(x)) == redact(x)`.

Known limits: a secret needs context (a key, header, flag, URL, or a known shape
such as xoxb-/ghp_/AKIA/eyJ); a bare random string in prose ("my password is x")
stays, and so do hex digests and ids (they are triage context, not secrets). A header
value after `Authorization:`/`Cookie:` runs to the line end (or the closing quote), so
anything after it on that line goes too. After a secret key with `: `, prose is taken
as the value ("password: must be 12 chars" loses "must").
`secret=<name or path>` (e.g. `db-root`, `apps/crm/smtp`) is kept: vaults name secrets.
"""

from __future__ import annotations

import re
import string
import threading
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

__all__ = ["KINDS", "PLACEHOLDER_RE", "RedactionResult", "Redactor", "redact", "redact_for_log"]

KINDS = ("token", "jwt", "password", "secret", "private_key", "cookie", "authorization",
         "custom")
# When spans overlap, the lowest number names the merged span.
_PRIORITY = {"private_key": 0, "authorization": 1, "cookie": 2, "jwt": 3, "password": 4,
             "secret": 5, "token": 6, "custom": 7}

PLACEHOLDER_RE = re.compile(r"\[REDACTED:(?P<kind>[a-z_]{1,32})#(?P<n>[0-9]{1,9})\]")

# Values that only stand for a secret: docs placeholders, env references, masks.
_STAND_IN = re.compile(
    r"\[(?i:REDACTED|FILTERED|HIDDEN|MASKED)[^\]\n]{0,40}\]|<[^<>\n]{1,80}>|&lt;.{1,80}?&gt;"
    r"|\$\{\{.{0,80}?\}\}|\$\{[^}\n]{1,80}\}|\$\([^)\n]{1,80}\)|\$[A-Z_][A-Z0-9_]{0,80}"
    r"|%[A-Za-z_][A-Za-z0-9_]{0,80}%|\{\{.{0,80}?\}\}|%\(?\w{0,40}\)?s|<%=?.{0,80}?%>"
    r"|[*xX•.…]{3,}"
    r"|(?i:null|none|nil|true|false|undefined|redacted|hidden|masked|filtered|yes|no|on|off"
    r"|required|optional|empty|unset)"
    # references in code and config: `var.db_password`, `os.environ["X"]`, `!Ref DbPass`
    r"|(?:var|local|locals|module|data|each|self|vars|params|props|this|settings|config|secrets"
    r"|env|ENV|process\.env|os\.environ|System\.getenv)[.\[(][\w.\[\]\"'()-]{0,120}"
    r"|[A-Za-z_][\w.]{0,80}\((?:[\w., =-]{0,80}\))?"
    r"|!(?:Ref|GetAtt|Sub|ImportValue|If|Join|Select|FindInMap)(?:[ \t]\S{1,80})?",
)
_CODE_SHAPE = re.compile(r"[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+|[a-z][a-z0-9]*(?:_[a-z0-9]+)+")
_ERROR_WORDS = frozenset(
    "expired invalid missing required found denied revoked malformed mismatch limited exceeded "
    "unauthorized forbidden error failed rejected disabled locked unknown unsupported not bad "
    "no wrong too".split())
# A value that names a file holding the secret, not the secret.
_FILE_PATH = re.compile(
    r"(?:~|\.{1,2}|/(?:etc|var|run|home|opt|usr|tmp|mnt|srv|data|app|root|secrets?|vault|keys?"
    r"|certs?|ssl|tls|config|conf|workspace|Users|private))/[\w.@+-]{0,128}"
    r"(?:/[\w.@+-]{1,128}){0,32}/?"
    r"|[A-Za-z]:\\[\w .@+\\-]{0,256}"
    r"|[\w.@+-]{0,128}(?:/[\w.@+-]{1,128}){0,32}"
    r"\.(?:pem|key|crt|cer|der|p12|pfx|jks|keystore|ppk|asc|gpg|json|ya?ml|txt|env)")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_PATH_WORDS = re.compile(r"[a-z0-9._-]{1,128}(?:/[a-z0-9._-]{1,128}){1,32}/?")
_FILE_NAME = re.compile(r"/[\w-]{1,128}\.[a-z]{2,4}$")


def _stand_in(value: str) -> bool:
    return not value.strip() or _STAND_IN.fullmatch(value.strip()) is not None


def _looks_like_code(value: str) -> bool:
    """`token_expired`, `AUTH_INVALID`: an error code, not a secret."""
    return (_CODE_SHAPE.fullmatch(value) is not None
            and not _ERROR_WORDS.isdisjoint(value.lower().split("_")))


def _token_like(value: str, quoted: bool = False) -> bool:
    """Random enough to be a credential: for keys that also hold ordinary values."""
    if not 8 <= len(value) <= 8192 or "://" in value or _DATE.match(value):
        return False
    if value.isdigit() or value[0] in "/~" or (not quoted and any(c.isspace() for c in value)):
        return False
    if "/" in value and (_PATH_WORDS.fullmatch(value) or _FILE_NAME.search(value)):
        return False  # `uploads/2026/02/report.pdf`
    digit = any(c.isdigit() for c in value)
    upper = any(c.isupper() for c in value)
    lower = any(c.islower() for c in value)
    symbol = any(not c.isalnum() and c not in "-_. " for c in value)
    return ((digit and (upper or lower)) or (symbol and (upper or lower or digit))
            or (upper and lower and len(value) >= 10 and not _WORDS.fullmatch(value)))


@dataclass(frozen=True, slots=True)
class _Hit:
    start: int
    end: int
    kind: str
    value: str  # identity for numbering: the same value gets the same placeholder


def _lower(text: str) -> str:
    """A lowercase copy with the same length (so spans carry over to `text`)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return text.encode("latin-1", "replace").lower().decode("latin-1")


# ---------------------------------------------------------------- key names ----
_WORDS = re.compile(r"(?:[A-Z]{0,3}+[a-z]++)++")  # `OAuthBearer`, `CreatedAt`: words, not random
# Words that make `<word>_key` a secret, and words that make it something else.
_SECRET_KEY_WORDS = frozenset(
    "private signing encryption master tls ssh ssl account storage shared hmac priv db database "
    "session cookie jwt crypto cipher aes root service client consumer license subscription "
    "webhook admin deploy sas".split())
_TOKEN_KEY_WORDS = frozenset(("api", "access", "auth"))
_PLAIN_KEY_WORDS = frozenset(
    "public pub primary foreign sort partition cache idempotency object routing dedup dedupe "
    "lookup index i18n translation map unique composite row s3 bucket group message event job "
    "task queue lock shard join search hash natural surrogate cursor page sorting dict entry "
    "registry ssh_public gpg kid metric label tag config setting feature flag".split())
# After a secret word, these make the key metadata about a secret (`secret_type`).
_META_WORDS = frozenset(
    "type types name names id ids path paths arn ref refs version versions policy policies "
    "reset length len min max minimum maximum expires expiry expiration expired expire at "
    "changed updated created required require requires found not missing invalid rotation "
    "rotated rotate file filename files env var variable manager store provider engine mount "
    "kind hint prompt label field fields placeholder count enabled enable disabled disable "
    "status strength format regex pattern rule rules history age ttl url uri endpoint source "
    "backend location dir directory mode method size error errors message msg keys list set "
    "sets schema spec template config settings option options flag chars digits complexity "
    "change update validation valid check checker verify verified verification match matches "
    "mismatch attempts retries header headers param params arg args input output column col "
    "selector button link form dialog page screen view modal title description desc help info "
    "note notes doc docs requirement requirements reuse last lifetime duration timeout "
    "interval window limit limits usage cache prefix audience issuer scope scopes claims "
    "algorithm alg ok used count reference sent sync generator generated".split())
# Vendors of the gitleaks keyword rules and detect-secrets assignment rules: with one of these
# in the key, `<vendor>_key`/`<vendor>_client_id` holds a credential whatever its shape.
_VENDOR_WORDS = frozenset(
    "adafruit adobe airtable algolia alibaba asana atlassian confluence jira beamer bitbucket "
    "bittrex meraki cloudflare codecov cohere coinbase confluent contentful datadog dd dnkey "
    "discord droneci drone dropbox etsy facebook fastly finicity finnhub flickr freshbooks "
    "gitter gocardless heroku hubspot intercom jfrog artifactory bintray xray kraken kucoin "
    "launchdarkly linear linkedin lob looker mailchimp mailgun mapbox mattermost messagebird "
    "netlify newrelic nytimes okta plaid privateai rapidapi sendbird sentry snyk sonar "
    "squarespace sumo sumologic telegram travis twitch twitter typeform yandex zendesk "
    "contribsys cloudant cl clou ibm iam softlayer sl cos twilio stripe slack github gitlab "
    "aws azure gcp openai anthropic sendgrid".split())
_SESSION_COOKIES = frozenset(("phpsessid", "jsessionid", "sessionid", "asp.net_sessionid",
                              "connect.sid", "laravel_session"))
_SPLIT_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_SPLIT_WORDS = re.compile(r"[\W_]+")


def _word_kind(word: str) -> str | None:
    if (word.endswith(("password", "passwd")) or word in (
            "pwd", "pass", "pw", "passphrase", "passcode", "passwords", "contraseña",
            "contrasena", "passwort")):
        return "password"
    if word.endswith(("secret", "secretkey", "privatekey")) or word in ("secrets", "secrete"):
        return "secret"
    if word.endswith(("token", "apikey")):
        return "token"
    return None


@lru_cache(maxsize=4096)
def _key_kind(key: str) -> tuple[str, bool] | None:
    """(kind, weak) of the secret a key holds, or None. Weak keys also hold ordinary values:
    theirs must look random (`_token_like`). Decided mostly by the key's last word:

    password: ...password, ...passwd, pwd, pass, pw, passphrase, passcode, contraseña
    secret:   ...secret, <secret|private|signing|account|...>_key, credentials, creds
    token:    ...token, ...apikey, api_key, access_key, auth_key, <other>_key (weak),
              sig/signature (weak), <vendor>_client_id (weak)
    authorization / cookie: authorization, cookie, set_cookie, session cookie names
    `password_secure`, `apikey_myservice`: a secret word followed by other words (weak),
    unless they are metadata (`secret_type`, `token_expired`, `password_min_length`).
    So `secret_type`, `secret_not_found`, `token_expired`, `max_tokens` are not secrets.
    """
    words = _SPLIT_CAMEL.sub("_", key).lower()
    parts = [w for w in _SPLIT_WORDS.split(words) if w]
    if not parts:
        return None
    last, before = parts[-1], parts[:-1]
    vendor = not _VENDOR_WORDS.isdisjoint(parts) or any(
        a + b in _VENDOR_WORDS for a, b in pairwise(parts))
    if last == "authorization":
        return "authorization", False
    if last in ("cookie", "cookies") or key.lower() in _SESSION_COOKIES or (
            last == "session" and key.startswith("_")):
        return "cookie", False
    kind = _word_kind(last)
    if kind:
        return kind, False
    if last in ("credential", "credentials", "creds"):
        return "secret", False
    if "contribsys" in parts:  # BUNDLE_GEMS__CONTRIBSYS__COM: Sidekiq Enterprise
        return "secret", False
    if last in ("key", "value") and before and (
            any(w.endswith("secret") for w in before) or before[-1] in _SECRET_KEY_WORDS):
        return "secret", False
    if last == "key":
        if not before:
            return "token", True
        if before[-1] in _TOKEN_KEY_WORDS:
            return "token", False
        if before[-1] in _PLAIN_KEY_WORDS:
            return None
        return "token", not vendor
    if last in ("sig", "signature", "auth") or (last == "api" and vendor):
        return "token", not vendor
    if last == "id" and vendor and before and before[-1] in ("client", "access", "api", "app"):
        return "token", False
    for i, word in enumerate(before):  # `password_super_secure`, `apikey_myservice`
        kind = _word_kind(word) or ("token" if word == "api" and parts[i + 1] == "key" else None)
        if kind:
            rest = parts[i + 1:]
            if kind == "token" and word == "api":
                rest = rest[1:]
            if rest and _META_WORDS.isdisjoint(rest):
                return kind, True
            return None
    return None


# ------------------------------------------------------------------ scanners ----
# Words inside a key that can hold a secret (on the lowercase copy), when an operator
# follows the key: each hit is widened to its whole key, which `_key_kind` then judges.
# One regex per word: a literal prefix lets the engine skip through the text in C.
_HINT_WORDS = ("pass", "pw", "secret", "sess", "sig", "token", "key", "auth", "access", "api_id",
               "api-id", "apiid", "cookie", "cred", "client", "contrase", "contribsys")
_HINT_RES = tuple(re.compile(
    re.escape(word) + r"(?P<rest>[\w.-]{0,127}+)(?:\\?[\"'`]\]?)?(?:\[[0-9]{0,6}\])?[ \t]{0,8}"
    r"(?=[:=!?.+(,>\"'`]|str|bytes|\[\]byte)") for word in _HINT_WORDS)
_FLAG_HINT_RE = re.compile(  # --password x
    r"--?(?=[a-z])(?=[\w.-]{0,127}?(?:" + "|".join(map(re.escape, _HINT_WORDS)) + "))")
_KEY_RUN = re.compile(r"[\w.-]{1,128}")
_KEY_OP_RE = re.compile(
    r"(?P<kq>\\?[\"'`])?(?P<key>[^\W\d][\w.-]{0,127})(?(kq)(?P=kq)\]?)"
    r"(?:\[[0-9]{0,6}\])?"
    # a type between key and `=`: `apiKey: String = "x"`, `var token string = "x"`
    r"(?:[ \t]{0,8}:[ \t]{0,8}(?:[A-Z][\w.]{0,40}(?:<[\w., ]{0,40}>)?\??|str|string|bytes|any)"
    r"(?=[ \t]{1,8}=[ \t])|[ \t]{1,8}(?:string|String|str|bytes|\[\]byte)(?=[ \t]{0,8}=[^=>]))?"
    r"[ \t]{0,8}(?P<op>=>|:{1,3}=|[?.+]=|!==?|={1,3}|:(?![:/])|,(?=[ \t]{0,8}[\"'`])"
    r"|(?:\.assign)?\((?=[ \t]{0,8}[\"'])|(?<=[ \t])(?=[\"']))[ \t]{0,8}@?")
# A bare value ends at whitespace or a quote; `&`/`;` end it only where the next `key=`
# follows (query strings, connection strings): `password=Tr0ub4dor&3` is one secret.
_BARE = (r"[^\s\"'`<&\\,;{\[]"
         r"(?:[^\s\"'`<&\\;]|&(?!(?:amp;)?[A-Za-z_][\w.-]{0,63}=)"
         r"|;(?![ \t]{0,8}[A-Za-z_][\w .-]{0,63}=)|\\(?![nrt\"'\\])|<(?![/!?A-Za-z])){0,65535}")
_VALUE_RE = re.compile(
    r"\"(?P<dq>(?:[^\"\\\n]|\\.){0,65536})\""
    r"|'(?P<sq>[^'\n]{0,65536})'"
    r"|`(?P<bq>[^`\n]{0,65536})`"
    r"|\\\"(?P<eq>[^\"\n]{0,65536}?)\\\""
    r"|\\'(?P<esq>[^'\n]{0,65536}?)\\'"
    r"|(?P<tmpl>\$?\{\{[^{}\n]{0,200}\}\})"  # `${{ secrets.X }}`, `{{ vault_password }}`
    r"|[\"'`](?P<open>[^\"'`\n]{1,65536})"  # a quote never closed: a cut-off paste
    r"|\{(?P<brace>[^{}\n]{1,1024})\}(?=[ \t]{0,8}(?:[;\"'\r\n]|$))"  # ODBC `PWD={a;b}`
    r"|(?P<bare>" + _BARE + ")")
_BLOCK_SCALAR = re.compile(r"[|>][-+]?[0-9]?[-+]?")
_REST_OF_LINE_BLANK = re.compile(r"[ \t]{0,256}(?:#[^\n]{0,1024})?\r?(?:\n|$)")
_FLAG_RE = re.compile(
    r"--?(?P<key>[A-Za-z][\w.-]{1,127})(?:=|[ \t]{1,8})(?:\"(?P<dq>[^\"\n]{0,8192})\""
    r"|'(?P<sq>[^'\n]{0,8192})'|(?P<bare>[^\s\"'`-][^\s\"'`]{0,8191}))")
_XML_RE = re.compile(
    r"<(?P<key>[A-Za-z_][\w.:-]{0,127})(?:[ \t][^<>]{0,512})?>[ \t\r\n]{0,256}"
    r"(?:<!\[CDATA\[(?P<cd>[^\]]{1,8192})\]\]>|(?P<v>[^<\s](?:[^<]{0,16382}[^<\s])?))"
    r"[ \t\r\n]{0,256}</(?P=key)[ \t]{0,8}>")


def _block_scalar(text: str, key_start: int, value_end: int) -> tuple[int, int] | None:
    """The lines of a YAML block scalar (`password: |` / `>-`) after its indicator."""
    rest = _REST_OF_LINE_BLANK.match(text, value_end)
    if not rest or not rest[0].endswith("\n"):
        return None
    line_start = text.rfind("\n", 0, key_start) + 1
    indent = len(text[line_start:key_start]) - len(text[line_start:key_start].lstrip(" \t"))
    pos, first, last = rest.end(), -1, -1
    for _ in range(4096):
        if pos >= len(text):
            break
        nl = text.find("\n", pos, pos + 65536)
        line_end = len(text) if nl < 0 else nl
        line = text[pos:line_end]
        body = line.lstrip(" \t")
        if body.strip():
            if len(line) - len(body) <= indent:
                break
            if first < 0:
                first = pos + len(line) - len(body)
            last = pos + len(line.rstrip())
        if nl < 0:
            break
        pos = nl + 1
    return (first, last) if first >= 0 else None


def _credential(value: str) -> tuple[int, int] | None:
    """Where the credential sits in an Authorization value (the scheme stays visible)."""
    off = 0
    scheme = re.match(r"([A-Za-z][A-Za-z0-9_-]{0,30})[ \t]+(?=\S)", value)
    if scheme and scheme[1].lower() in _AUTH_SCHEMES:
        off = scheme.end()
    rest = value[off:].rstrip()
    if not rest:
        return None
    word = rest.split(None, 1)[0]
    first = word.rstrip(_TRAILING)
    if _stand_in(first) or _stand_in(word):  # `Bearer <token> header`, `Bearer $TOKEN"`
        return None
    cred = first if _TOKEN68.fullmatch(first) else rest
    if _stand_in(cred) or (off == 0 and cred.lower() in _AUTH_SCHEMES):
        return None
    return off, off + len(cred)


_AUTH_SCHEMES = frozenset(
    "basic bearer digest token negotiate ntlm hoba mutual oauth aws aws4-hmac-sha256 bot jwt "
    "apikey api-key key sso-key ssws dpop privatetoken vapid gnap sharedkey signature "
    "pat flyv1".split())
_TOKEN68 = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
_SECRET_PATH = re.compile(r"[a-z0-9_.*-]+(?:/[a-z0-9_.*-]+)+/?")
_SECRET_NAME = re.compile(r"[a-z][a-z0-9]*(?:-[a-z0-9]+)+")
_TRAILING = ",;.)]}"


def _value_hit(kind: str, key: str, start: int, value: str, quoted: bool,
               weak: bool = False) -> _Hit | None:
    if not quoted:
        if _stand_in(value):
            return None
        value = value.rstrip(_TRAILING)
    if kind == "authorization":
        span = _credential(value)
        return span and _Hit(start + span[0], start + span[1], kind, value[span[0]:span[1]])
    if kind == "cookie":
        value = value.rstrip()
        if all(_stand_in(c.partition("=")[2] or c) for c in value.split(";")):
            return None  # `Cookie: session=<session-id>`
    if (weak and not _token_like(value, quoted)) or _stand_in(value) or _looks_like_code(value):
        return None
    if kind == "secret" and (_SECRET_PATH.fullmatch(value) or (
            key.lower() in ("secret", "secrets") and _SECRET_NAME.fullmatch(value))):
        return None  # a vault names its secrets: `secret=db-root`, `"secret": "apps/crm/smtp"`
    if kind != "cookie" and _FILE_PATH.fullmatch(value):
        return None  # `private_key: /etc/ssl/private/app.key`
    if key.upper() in ("PWD", "OLDPWD") and value[:1] in "/~":
        return None  # the shell's working directory, not ODBC's PWD=
    return _Hit(start, start + len(value), kind, value)


def _value_at(text: str, pos: int) -> tuple[str, int, str] | None:
    """(group, start, value) of the value starting at `pos`."""
    m = _VALUE_RE.match(text, pos)
    if not m or not m.lastgroup:
        return None
    return m.lastgroup, m.start(m.lastgroup), m[m.lastgroup]


def _kv_hit(text: str, key: str, kind: str, weak: bool, key_start: int, pos: int,
            op: str = "=") -> _Hit | None:
    """The secret in the value that starts at `pos`, after `key` and its operator."""
    if text.startswith("[REDACTED:", pos) or text.startswith("[REDACTED:", pos + 1):
        return None  # already done (the second pass of `redact`)
    header = key.lower().endswith(("cookie", "cookies", "authorization"))
    if header and text[pos:pos + 1] not in ("\"", "'", "`", "\\"):
        return None  # a header line (`Cookie: a=b`): _scan_headers takes it
    found = _value_at(text, pos)
    if not found:
        return None
    group, start, value = found
    if group == "tmpl":
        return None
    if op in (",", "(") or op == " ":
        if group not in ("dq", "sq", "bq"):
            return None
        close = start + len(value) + 1
        after = text[close:close + 64].lstrip(" \t")
        if op in (",", " ") and after[:1] in (":", "="):
            return None  # a key, not a value: `"name": "password", "value": ...`
        if op == "(" and after[:1] not in (")", ","):
            return None
    if group == "bare" and header:
        return None
    if group == "bare" and _BLOCK_SCALAR.fullmatch(value):
        span = _block_scalar(text, key_start, start + len(value))
        if not span:
            return None
        start, value = span[0], text[span[0]:span[1]]
        return _value_hit(kind, key, start, value, True, weak)
    if group == "brace" and (":" in value or "\"" in value):
        return None  # a nested structure, not ODBC's `{...}` quoting
    return _value_hit(kind, key, start, value, group != "bare", weak)


def _match_start(m: re.Match[str]) -> int:
    return m.start()


def _scan_keys(text: str, low: str) -> Iterator[_Hit]:
    """Values of secret keys (`k=v`, `"k": "v"`, `--k v`, `<k>v</k>`...), found from
    the words inside keys: each key is judged once, only its value is scanned."""
    done = 0
    hints = sorted((m for r in _HINT_RES for m in r.finditer(low)), key=_match_start)
    backwards = text[::-1] if hints else ""  # to find where each key starts, in C
    n = len(text)
    for hint in hints:
        if hint.start() < done:
            continue
        ks, ke = hint.start(), hint.end("rest")
        if ks:
            run = _KEY_RUN.match(backwards, n - ks)
            ks -= (run.end() - run.start()) if run else 0
        done = ke
        if ks >= 1 and text[ks - 1] == "\\" and text[ks] in "nrt" and ke - ks > 1:
            ks += 1  # `\nDB_PASSWORD=x` inside a JSON string
        if text[ks] == "-":
            continue  # a flag: below
        hit = _xml_hit(text, ks - 1) if ks and text[ks - 1] == "<" else None
        if hit is None:
            while ks < ke and not (text[ks].isalpha() or text[ks] == "_"):
                ks += 1
            hit = _assignment_hit(text, ks, ke) if ks < ke else None
        if hit:
            yield hit
            if hit.end - hit.start > 256:
                done = max(done, hit.end)  # (keys in a short value are judged too)
    done = 0
    for m in _FLAG_HINT_RE.finditer(low):
        if m.start() >= done:
            hit = _flag_hit(text, m.start())
            if hit:
                yield hit
                done = hit.end


def _assignment_hit(text: str, ks: int, ke: int) -> _Hit | None:
    key = text[ks:ke]
    if _key_kind(key.removesuffix(".assign")) is None:
        return None
    if (ks >= 2 and text[ks - 1] == ":" and text[ks - 2].isalnum() and text[ke:ke + 1] == ":"
            and text[ke + 1:ke + 2] not in ("\"", "'", " ", "\t", "")):
        return None  # a segment of `arn:aws:secretsmanager:...:secret:name`, not a key
    start = ks
    if ks and text[ks - 1] in "\"'`" and text[ke:ke + 1] in ("\"", "'", "`", "\\"):
        start = ks - 2 if ks >= 2 and text[ks - 2] == "\\" else ks - 1  # a quoted key
    m = _KEY_OP_RE.match(text, start)
    if start < ks and not (m and m.end("key") == ke):
        start = ks  # the quote before the key opens a string, not the key: `-H "X-Api-Key: x"`
        m = _KEY_OP_RE.match(text, start)
    if not m or m.end("key") != ke:
        return None
    key = m["key"]
    op = m["op"] or " "
    if op.endswith("("):
        key = key.removesuffix(".assign")
        op = "("
    verdict = _key_kind(key)
    if verdict is None:
        return None
    kind, weak = verdict
    if op == "," and not (m["kq"] and text[max(0, start - 64):start].rstrip().endswith("(")):
        return None  # only a call's arguments: `setProperty("API_TOKEN", "x")`
    if op == "(" and (m["kq"] or not key.isalpha()):
        return None  # `secret("x")`, `password("x")`: one word, called
    if op == " " and kind not in ("password", "secret"):
        return None  # `private_key "x";`, `PASSWORD 'x'` (SQL); not `token 'abc' expired`
    return _kv_hit(text, key, kind, weak, start, m.end(), op)


def _flag_hit(text: str, ks: int) -> _Hit | None:
    if ks and (text[ks - 1].isalnum() or text[ks - 1] in "_-"):
        return None
    m = _FLAG_RE.match(text, ks)
    if not m:
        return None
    verdict = _key_kind(m["key"])
    if verdict is None:
        return None
    group = next(g for g in ("dq", "sq", "bare") if m[g] is not None)
    if text.startswith("[REDACTED:", m.start(group)):
        return None
    return _value_hit(verdict[0], m["key"], m.start(group), m[group], group != "bare",
                      verdict[1])


def _xml_hit(text: str, lt: int) -> _Hit | None:
    m = _XML_RE.match(text, lt)
    if not m:
        return None
    verdict = _key_kind(m["key"].rpartition(":")[2])
    if verdict is None:
        return None
    group = "cd" if m["cd"] is not None else "v"
    return _value_hit(verdict[0], m["key"], m.start(group), m[group], True, verdict[1])


# `{"name": "Cookie", "value": "..."}` (HAR), `- name: DB_PASSWORD` / `value: x` (Kubernetes),
# `<add key="Password" value="x" />` (NuGet, appSettings), Postman environments.
_NAME_VALUE_RES = tuple(re.compile(
    label + r"[\"']?[ \t]{0,8}[:=][ \t]{0,8}(?P<q>[\"']?)(?P<key>[a-z_][\w.-]{0,127}+)(?P=q)"
    r"(?:[ \t]{0,8}[,;]?[ \t]{0,8}|[ \t]{0,8},?[ \t]{0,8}\r?\n[ \t]{0,64}(?:-[ \t]{1,8})?)"
    r"[\"']?value[\"']?[ \t]{0,8}[:=][ \t]{0,8}") for label in ("name", "key"))
# `<entry key="password">x</entry>` (Java XML properties)
_XML_ENTRY_RES = tuple(re.compile(
    label + r"=[\"'](?P<key>[a-z_][\w.-]{0,127})[\"'][^<>\n]{0,128}?>"
    r"(?P<v>[^<\s](?:[^<\n]{0,4094}[^<\s])?)</") for label in ("key", "name"))


def _scan_name_value(text: str, low: str) -> Iterator[_Hit]:
    for m in (m for regex in _NAME_VALUE_RES for m in regex.finditer(low)):
        if m.start() and (low[m.start() - 1].isalnum() or low[m.start() - 1] == "_"):
            continue
        key = text[m.start("key"):m.end("key")]
        verdict = _key_kind(key)
        if verdict:
            hit = _kv_hit(text, key, verdict[0], verdict[1], m.start(), m.end())
            if hit:
                yield hit
    if "</" in low:
        for m in (m for regex in _XML_ENTRY_RES for m in regex.finditer(low)):
            verdict = _key_kind(text[m.start("key"):m.end("key")])
            if verdict:
                hit = _value_hit(verdict[0], m["key"], m.start("v"), text[m.start("v"):m.end("v")],
                                 True, verdict[1])
                if hit:
                    yield hit


_COMPARE_RE = re.compile(  # `if ("x" == password)`
    r"(?P<q>[\"'`])(?P<v>[^\"'`\n]{1,1024})(?P=q)[ \t]{0,8}(?:!==?|={2,3})[ \t]{0,8}"
    r"(?P<key>[A-Za-z_][\w.]{0,127})")


_COMPARE_GATES = (re.compile(r"==[ \t]{0,8}[A-Za-z_]"), re.compile(r"!=[ \t]{0,8}[A-Za-z_]"))


def _scan_compare(text: str, low: str) -> Iterator[_Hit]:
    if not any(gate.search(text) for gate in _COMPARE_GATES):
        return
    for m in _COMPARE_RE.finditer(text):
        verdict = _key_kind(m["key"])
        if verdict:
            hit = _value_hit(verdict[0], m["key"], m.start("v"), m["v"], True, verdict[1])
            if hit:
                yield hit


# --------------------------------------------------------------- headers ----
_HEADER_RES = (re.compile(r"authorization[ \t]{0,8}:[ \t]{0,8}"),  # on the lowercase copy
                re.compile(r"cookie[ \t]{0,8}:[ \t]{0,8}"))
_TO_DQ = re.compile(r"[^\r\n\"]{1,16384}")
_TO_SQ = re.compile(r"[^\r\n']{1,16384}")
_TO_EOL = re.compile(r"[^\r\n]{1,16384}")


def _scan_headers(text: str, low: str) -> Iterator[_Hit]:
    """A quoted header (`-H "Cookie: a=b"`) up to the quote, else to the line end."""
    for regex in _HEADER_RES:
        yield from _scan_header(text, low, regex)


def _scan_header(text: str, low: str, regex: re.Pattern[str]) -> Iterator[_Hit]:
    pos = 0
    while m := regex.search(low, pos):
        pos = m.end()  # other headers may follow on the same line
        name = m.start()
        for prefix in ("proxy-", "set-"):
            if low.endswith(prefix, 0, name):
                name -= len(prefix)
        before = text[name - 1] if name else ""
        if before in ("\"", "'"):
            v = (_TO_DQ if before == "\"" else _TO_SQ).match(text, m.end())
        elif before.isalnum() or before in ("_", "-") or text[m.end():m.end() + 1] in "\"'":
            continue
        else:
            v = _TO_EOL.match(text, m.end())
        if not v:
            continue
        value = v[0]
        for q in "\"'":  # the closing quote of a string the header sits in
            if value.endswith(q) and value.count(q) % 2:
                value = value[:-1]
        kind = "authorization" if "auth" in m[0] else "cookie"
        hit = _value_hit(kind, kind, m.end(), value, True)
        if hit:
            yield hit
            pos = hit.end


_BEARER_RE = re.compile(r"bearer[ \t]{1,8}")  # on the lowercase copy
_BEARER_VALUE = re.compile(r"[A-Za-z0-9\-._~+/]{8,8192}=*")


def _scan_bearer(text: str, low: str) -> Iterator[_Hit]:
    for m in _BEARER_RE.finditer(low):
        if m.start() and (low[m.start() - 1].isalnum() or low[m.start() - 1] in "_-"):
            continue
        v = _BEARER_VALUE.match(text, m.end())
        if not v:
            continue
        value = v[0]
        if value.endswith("=") and text[v.end():v.end() + 1] == "\"":
            continue  # an auth-param: `Bearer error="invalid_token"`
        mixed = any(c.isupper() for c in value) and any(c.islower() for c in value)
        if (any(c.isdigit() for c in value) or (len(value) >= 16 and mixed)) and not (
                _looks_like_code(value)):
            yield _Hit(v.start(), v.end(), "token", value)


# --------------------------------------------------------- command lines ----
_URL_CRED_RE = re.compile(r"://(?P<u>[^\s:/@?#\"'<>]{0,256}):(?P<v>[^\s/?\"'<>]{1,256})@")
_CURL_USER_RE = re.compile(
    r"-(?:u|-user)(?:[ \t]{1,8}|=)(?:'[^'\n:]{0,256}:(?P<v1>[^'\n]{1,1024})'"
    r"|\"[^\"\n:]{0,256}:(?P<v2>[^\"\n]{1,1024})\"|\"[^\"\n:]{0,256}\":\"(?P<v3>[^\"\n]{1,1024})\""
    r"|'[^'\n:]{0,256}':'(?P<v4>[^'\n]{1,1024})'"
    r"|(?P<u>[^\s:\"']{0,256}):(?:'(?P<v5>[^'\n]{1,1024})'|\"(?P<v6>[^\"\n]{1,1024})\""
    r"|(?P<v7>[^\s\"']{1,1024})))")
_QUOTED_P_RE = re.compile(r"-p(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\")")
_ARGS = r"(?:[ \t]{1,8}[^\s]{1,256}){0,16}?[ \t]{1,8}"
_CLI_PASSWORD_RES = (
    # mysql -uroot -pS3cret (the value is glued to -p; `-p` alone prompts)
    re.compile(r"(?i:mysql|mariadb)[\w.-]{0,16}" + _ARGS
               + r"-p(?P<bare>[^\s'\"-][^\s'\"]{0,1023})"),
    re.compile(r"sshpass(?:[ \t]{1,8}-[a-oq-zA-Z][^\s]{0,64}){0,4}[ \t]{1,8}-p[ \t]{0,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"]{1,1024}))"),
    re.compile(r"(?:docker|podman|buildah|skopeo|helm|nerdctl|oras)(?:[ \t]{1,8}registry)?"
               r"[ \t]{1,8}login" + _ARGS + r"-p[ \t]{1,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"-][^\s'\"]{0,1023}))"),
    re.compile(r"redis-cli" + _ARGS + r"-a[ \t]{1,8}"
               r"(?:'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s'\"-][^\s'\"]{0,1023}))"),
)
_SQL_BY_RE = re.compile(  # on the lowercase copy: IDENTIFIED [WITH plugin] BY
    r"identified[ \t]{1,8}(?:with[ \t]{1,8}[\w'\"-]{1,64}[ \t]{1,8})?by[ \t]{1,8}"
    r"(?:password[ \t]{1,8})?")
_SQL_VALUE = re.compile(
    r"'(?P<sq>[^'\n]{1,1024})'|\"(?P<dq>[^\"\n]{1,1024})\"|(?P<bare>[^\s;'\"]{1,256})")
_NETRC_RE = re.compile(  # on the lowercase copy
    r"machine[ \t]{1,8}[^\s]{1,253}(?:[ \t\r\n]{1,16}(?:login|account)[ \t]{1,8}[^\s]{1,253})"
    r"{0,2}[ \t\r\n]{1,16}password[ \t]{1,8}")
_ORACLE_RE = re.compile(  # scott/tiger@//host:1521/svc, scott/tiger@host:1521/svc
    r"/(?P<v>[^\s/@\"':]{1,64})@(?://[\w.-]{1,253}|[\w.-]{1,253}:\d{2,5}/)")
_ORACLE_USER = re.compile(r"(?:^|(?<=[\s\"'=:(]))[A-Za-z][\w$#]{0,29}$")
_ORACLE_CMD_RES = tuple(re.compile(  # on the lowercase copy: sqlplus scott/tiger[@alias]
    command + r"(?:\.exe)?(?:[ \t]{1,8}-\w{1,10}){0,3}"
    r"[ \t]{1,8}[\"']?[a-z][\w$#]{0,29}/(?P<v>[^\s/@\"']{1,128})")
    for command in ("sqlplus", "rman", "expdp", "impdp", "sqlldr", "dgmgrl"))


def _quoted_or_bare(m: re.Match[str]) -> tuple[int, str] | None:
    for g in ("sq", "dq", "bare"):
        if m.groupdict().get(g) is not None:
            return m.start(g), m[g]
    return None


def _cli_hit(start: int, value: str) -> _Hit | None:
    return None if _stand_in(value) else _Hit(start, start + len(value), "password", value)


def _glued_left(text: str, pos: int) -> bool:
    return pos > 0 and (text[pos - 1].isalnum() or text[pos - 1] in "_-")


def _scan_cli(text: str, low: str) -> Iterator[_Hit]:
    hits: list[_Hit | None] = []
    for m in _URL_CRED_RE.finditer(text):
        if m.start() and text[m.start() - 1].isalnum():
            hits.append(_cli_hit(m.start("v"), m["v"]))
    for m in _CURL_USER_RE.finditer(text):
        g = next(f"v{i}" for i in range(1, 8) if m[f"v{i}"] is not None)
        if not _glued_left(text, m.start()) and not (
                g == "v7" and m[g].isdigit() and (m["u"] or "").isdigit()):  # -u 1000:1000
            hits.append(_cli_hit(m.start(g), m[g]))
    for m in _QUOTED_P_RE.finditer(text):
        if not _glued_left(text, m.start()):
            group = "sq" if m["sq"] is not None else "dq"
            hits.append(_cli_hit(m.start(group), m[group]))
    for needles, regex in zip((("mysql", "mariadb"), (), ("login",), ()), _CLI_PASSWORD_RES,
                              strict=True):
        if not needles or any(n in low for n in needles):
            for m in regex.finditer(text):
                found = _quoted_or_bare(m)
                hits.append(found and _cli_hit(*found))
    for regex in (_SQL_BY_RE, _NETRC_RE):
        for m in regex.finditer(low):
            v = _SQL_VALUE.match(text, m.end())
            found = v and _quoted_or_bare(v)
            hits.append(found and _cli_hit(*found))
    for m in _ORACLE_RE.finditer(text):
        if _ORACLE_USER.search(text, max(0, m.start() - 31), m.start()):
            hits.append(_cli_hit(m.start("v"), m["v"]))
    for regex in _ORACLE_CMD_RES:
        for m in regex.finditer(low):
            if not (m.start() and low[m.start() - 1].isalnum()):
                hits.append(_cli_hit(m.start("v"), text[m.start("v"):m.end("v")]))
    yield from (h for h in hits if h)


# ------------------------------------------------------ Kubernetes Secret ----
_K8S_KIND = re.compile(r"kind[\"']?[ \t]{0,8}:[ \t]{0,8}[\"']?secret[\"']?(?![\w-])")
_K8S_DATA = re.compile(r"data:[ \t]{0,8}(?:#[^\n]{0,512})?\r?(?:\n|$)")  # on the lowercase copy
_K8S_DATA_KEY = re.compile(r"(?:^|\n)(?P<ind>[ \t]{0,64})(?:string)?$")
_YAML_ITEM = re.compile(r"[ \t]{1,64}(?P<key>[\w.-]{1,253})[ \t]{0,8}:[ \t]{0,8}")
_K8S_JSON_DATA = re.compile(r"\"(?:data|stringdata)\"[ \t]{0,8}:[ \t]{0,8}\{")
_JSON_PAIR = re.compile(
    r"[ \t\r\n]{0,256}\"(?P<key>[^\"\n]{1,253})\"[ \t]{0,8}:[ \t]{0,8}"
    r"\"(?P<v>(?:[^\"\\\n]|\\.){0,65536})\"[ \t\r\n]{0,256},?")


def _in_secret_doc(low: str, pos: int) -> bool:
    start = low.rfind("\n---", 0, pos)
    end = low.find("\n---", pos)
    return _K8S_KIND.search(low, max(start, 0), len(low) if end < 0 else end) is not None


def _scan_k8s_secret(text: str, low: str) -> Iterator[_Hit]:
    """Every value under `data:`/`stringData:` of a `kind: Secret` (YAML or JSON)."""
    if not _K8S_KIND.search(low):
        return
    for m in _K8S_DATA.finditer(low):
        key = _K8S_DATA_KEY.search(low, max(0, m.start() - 72), m.start())
        if not key or not _in_secret_doc(low, m.start()):
            continue
        indent, pos = len(key["ind"]), m.end()
        for _ in range(4096):
            item = _YAML_ITEM.match(text, pos)
            nl = text.find("\n", pos)
            if item and item.start("key") - pos > indent:
                hit = _kv_hit(text, item["key"], "secret", False, item.start("key"), item.end())
                if hit:
                    yield hit
                    nl = text.find("\n", hit.end)
            elif text[pos:nl if nl >= 0 else len(text)].strip()[:1] not in ("", "#"):
                break
            if nl < 0:
                break
            pos = nl + 1
    for m in _K8S_JSON_DATA.finditer(low):
        if not _in_secret_doc(low, m.start()):
            continue
        pos = m.end()
        for _ in range(4096):
            pair = _JSON_PAIR.match(text, pos)
            if not pair:
                break
            if not _stand_in(pair["v"]):
                yield _Hit(pair.start("v"), pair.end("v"), "secret", pair["v"])
            pos = pair.end()


# ---------------------------------------------------------------- shapes ----
# Credentials recognisable without a key: the prefixed formats of the gitleaks rules and the
# detect-secrets plugins (tests/redact_corpus/formats.yml names each). Every entry starts
# with a literal character; `weak` entries must also contain a digit.
_B = r"(?![A-Za-z0-9_-])"  # the token ends here
_AUTHRESS = (r"[A-Za-z0-9]{5,30}\.[A-Za-z0-9]{4,6}\.acc[_-][A-Za-z0-9-]{10,32}"
             r"\.[A-Za-z0-9+/_=-]{30,120}" + _B)
_SHAPES: tuple[tuple[str, str], ...] = (
    # Slack
    (r"xox(?:[abposre]|e\.xox[bp])-[A-Za-z0-9-]{10,1024}", ""),
    (r"xapp-[0-9]-[A-Za-z0-9-]{10,1024}", ""),
    (r"xkeysib-[a-f0-9]{64}-[A-Za-z0-9]{16}" + _B, ""),
    # GitHub, GitLab
    (r"gh[pousr]_[A-Za-z0-9_]{30,255}" + _B, ""),
    (r"github_pat_[A-Za-z0-9_]{20,255}" + _B, ""),
    (r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas|ffct)-[A-Za-z0-9_-]{20,1024}"
     r"(?:\.[0-9a-z]{9})?" + _B, ""),
    (r"GR1348941[A-Za-z0-9_-]{20,50}" + _B, ""),
    (r"glc_[A-Za-z0-9+/]{32,400}={0,3}(?![A-Za-z0-9+/=_-])", ""),
    (r"glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}" + _B, ""),
    # cloud providers
    (r"A(?:3T[A-Z0-9]|KIA|SIA|BIA|CCA)[A-Z0-9]{16}(?![A-Za-z0-9])", ""),
    (r"ABSK[A-Za-z0-9+/]{100,300}={0,2}(?![A-Za-z0-9+/=])", ""),
    (r"bedrock-api-key-YmVkcm9jay5hbWF6b25hd3MuY29t[A-Za-z0-9+/=%_-]{0,4096}", ""),
    (r"AIza[A-Za-z0-9_-]{30,60}" + _B, ""),
    (r"LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9])", ""),
    (r"AQVN[A-Za-z0-9_-]{35,38}" + _B, ""),
    (r"t1\.[A-Za-z0-9_-]{10,200}={0,2}\.[A-Za-z0-9_-]{86}={0,2}" + _B, ""),
    (r"do[opr]_v1_[a-f0-9]{64}" + _B, ""),
    (r"dapi[a-f0-9]{32}(?:-[0-9])?" + _B, ""),
    (r"v1\.0-[a-f0-9]{24}-[a-f0-9]{146}" + _B, ""),
    (r"sha256~[A-Za-z0-9_-]{43}" + _B, ""),
    (r"HRKU-[A-Za-z0-9_-]{20,100}" + _B, ""),
    (r"hv[sb]\.[A-Za-z0-9_-]{20,400}" + _B, ""),
    (r"s\.[A-Za-z0-9]{24}(?![A-Za-z0-9_.-])", "weak"),  # legacy Vault token
    (r"f(?:o1_[A-Za-z0-9_-]{43}|m(?:1[ar]|2)_[A-Za-z0-9+/]{100,8192}={0,3})"
     r"(?![A-Za-z0-9+/=_-])", ""),
    (r"ops_eyJ[A-Za-z0-9+/]{100,8192}={0,3}(?![A-Za-z0-9+/=])", ""),
    (r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}"
     r"-[A-Z0-9]{5}(?![A-Za-z0-9])", ""),
    (r"AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}", ""),
    (r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}" + _B, ""),  # Airtable personal access token
    # payments, SaaS
    (r"sk_(?:live|test|prod)_[A-Za-z0-9]{8,255}" + _B, ""),
    (r"rk_(?:live|test|prod)_[A-Za-z0-9]{8,255}" + _B, ""),
    (r"whsec_[A-Za-z0-9+/=]{16,255}", ""),
    (r"sq0(?:atp|csp|idp)-[A-Za-z0-9_\\-]{22,60}" + _B, ""),
    (r"EAA[ACM][A-Za-z0-9_-]{22,1024}" + _B, "weak"),
    (r"AC[0-9A-Za-z]{32}(?![A-Za-z0-9])", "weak"),  # Twilio
    (r"SK[0-9A-Za-z]{32}(?![A-Za-z0-9])", "weak"),
    (r"SG\.[A-Za-z0-9_-]{16,32}\.[A-Za-z0-9_-]{16,64}" + _B, ""),
    (r"npm_[A-Za-z0-9]{30,255}" + _B, ""),
    (r"pypi-AgE(?:IcHlwaS5vcmc|NdGVzdC5weXBpLm9yZw)[A-Za-z0-9_-]{50,4096}" + _B, ""),
    (r"rubygems_[a-f0-9]{48}" + _B, ""),
    (r"CLOJARS_[A-Za-z0-9]{60}" + _B, ""),
    (r"sk-(?:ant-(?:api|admin|sid|oat)[0-9]{2}-[A-Za-z0-9_-]{20,400}|(?:proj|svcacct|admin)"
     r"-[A-Za-z0-9_-]{20,400}|[A-Za-z0-9_-]{0,200}T3BlbkFJ[A-Za-z0-9_-]{20,200})" + _B, ""),
    (r"sk-[A-Za-z0-9_-]{32,400}" + _B, "weak"),
    (r"pplx-[A-Za-z0-9]{48}" + _B, ""),
    (r"hf_[A-Za-z0-9]{30,40}" + _B, ""),
    (r"api_org_[A-Za-z0-9]{30,40}" + _B, ""),
    (r"shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}" + _B, ""),
    (r"lin_api_[A-Za-z0-9]{40}" + _B, ""),
    (r"NR(?:AK|II|JS)-[A-Za-z0-9-]{19,40}" + _B, ""),
    (r"ntn_[A-Za-z0-9]{40,50}" + _B, ""),
    (r"API-[A-Z0-9]{26}(?![A-Za-z0-9])", ""),
    (r"pscale_(?:tkn|oauth|pw)_[A-Za-z0-9_=.-]{32,64}" + _B, ""),
    (r"PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}" + _B, ""),
    (r"pnu_[A-Za-z0-9]{36}" + _B, ""),
    (r"pul-[a-f0-9]{40}" + _B, ""),
    (r"rdme_[a-z0-9]{70}" + _B, ""),
    (r"tk-us-[A-Za-z0-9_-]{48}" + _B, ""),
    (r"sntrys_eyJ[A-Za-z0-9+/=_]{20,1024}" + _B, ""),
    (r"sntryu_[a-f0-9]{64}" + _B, ""),
    (r"sm_(?:aat|pat|sat)_[A-Za-z0-9]{16}" + _B, ""),
    (r"shippo_(?:live|test)_[a-fA-F0-9]{40}" + _B, ""),
    (r"tfp_[A-Za-z0-9_.=-]{59}" + _B, ""),
    (r"AKC[A-Za-z0-9]{10,100}(?![A-Za-z0-9])", "weak"),
    (r"AP[0-9A-F][A-Za-z0-9]{8,100}(?![A-Za-z0-9])", "weak"),
    (r"cmVmd[A-Za-z0-9]{59}(?![A-Za-z0-9])", ""),
    (r"4b1d[A-Za-z0-9]{38}(?![A-Za-z0-9])", ""),
    (r"p8e-[A-Za-z0-9]{32}" + _B, ""),
    (r"ATATT3[A-Za-z0-9_=-]{100,300}" + _B, ""),
    (r"s(?:c|cauth)_" + _AUTHRESS, ""),
    (r"ext_" + _AUTHRESS, ""),
    (r"authress_" + _AUTHRESS, ""),
    (r"dp\.(?:pt|st|ct|sa|scim|audit)\.[A-Za-z0-9]{40,44}" + _B, ""),
    (r"dt0c01\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{64}" + _B, ""),
    (r"duffel_(?:test|live)_[A-Za-z0-9_=-]{43}" + _B, ""),
    (r"EZ[AT]K[A-Za-z0-9]{54}(?![A-Za-z0-9])", ""),
    (r"FLW(?:SECK|PUBK)_TEST-[A-Za-z0-9]{12,32}(?:-X)?" + _B, ""),
    (r"fio-u-[A-Za-z0-9_=-]{64}" + _B, ""),
    (r"ico-[A-Za-z0-9]{32}" + _B, ""),
    (r"s-s4t2(?:ud|af)-[a-f0-9]{64}" + _B, ""),
    (r"sl\.[A-Za-z0-9_=-]{130,150}" + _B, ""),
    (r"sgp_(?:[a-fA-F0-9]{16}_|local_)?[a-fA-F0-9]{40}" + _B, ""),
    (r"pat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _B, ""),  # Harness
    (r"sat\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}" + _B, ""),
    ("A" * 22 + r"[A-Za-z0-9%]{80,100}(?![A-Za-z0-9%])", ""),  # Twitter bearer token
    (r"access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}"
     r"-[0-9a-f]{4}-[0-9a-f]{12}" + _B, ""),
    (r"key-[a-f0-9]{32}" + _B, ""),  # Mailgun
    (r"pubkey-[a-f0-9]{32}" + _B, ""),
    (r"eyJrIjoi[A-Za-z0-9]{70,400}={0,3}(?![A-Za-z0-9=])", ""),  # Grafana API key
    # JWT (header.payload[.signature[...]], unsigned ones too) and base64-encoded JWTs
    (r"eyJ[A-Za-z0-9_-]{4,8192}={0,2}(?:\.[A-Za-z0-9_-]{0,16384}={0,2}){1,4}" + _B, "jwt"),
    (r"ZXlK[A-Za-z0-9+/]{30,16384}={0,2}(?![A-Za-z0-9+/=])", "jwt"),
)


def _shape_regexes() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """One regex for all shapes, grouped by first character (the engine tests one branch
    per character): with a leading non-token character, and for the text's start."""
    groups: dict[str, list[str]] = {}
    for n, (pattern, flag) in enumerate(_SHAPES):
        marker = f"(?P<{flag}{n}>)" if flag else ""
        groups.setdefault(pattern[0], []).append(pattern[1:] + marker)
    trie = "|".join(re.escape(c) + "(?:" + "|".join(rest) + ")" for c, rest in groups.items())
    firsts = "".join(re.escape(c) for c in sorted(groups))
    return re.compile(r"[^A-Za-z0-9_-](?=[" + firsts + "])(?:" + trie + ")"), re.compile(trie)


_SHAPE_RE, _SHAPE_AT_START = _shape_regexes()
_INFIX_SHAPES = (
    # (regex of the distinctive part, what must come right before it, and how far back)
    (re.compile(r"Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])"),  # Azure AD client secret
     re.compile(r"(?<![A-Za-z0-9_~.])[A-Za-z0-9_~.]{3}[0-9]"), 4),
    (re.compile(r"\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])"),  # Terraform Cloud
     re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{14}"), 14),
    (re.compile(r"_mmk(?![A-Za-z0-9_])"),  # MaxMind license key
     re.compile(r"(?<![A-Za-z0-9])[A-Za-z0-9]{6}_[A-Za-z0-9]{29}"), 36),
    (re.compile(r"-us[0-9]{1,2}(?![A-Za-z0-9_-])"),  # Mailchimp
     re.compile(r"(?<![A-Za-z0-9])[0-9a-z]{32}"), 32),
    (re.compile(r":[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])"),  # Telegram bot token
     re.compile(r"(?:(?<![A-Za-z0-9_-])|(?<=bot))[0-9]{5,16}"), 16),
    (re.compile(r"\|[A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"),  # Facebook app token
     re.compile(r"(?<![A-Za-z0-9])[0-9]{15,16}"), 16),
    (re.compile(r"%7[Cc][A-Za-z0-9_-]{27,40}(?![A-Za-z0-9_-])"),
     re.compile(r"(?<![A-Za-z0-9])[0-9]{15,16}"), 16),
    (re.compile(r"[MNO][A-Za-z0-9_-]{23,25}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}"
                r"(?![A-Za-z0-9_-])"), None, 0),  # Discord bot token
)
_WEBHOOK_RE = re.compile(  # every branch starts with `.` or `/`
    r"\.slack\.com/(?<=hooks\.slack\.com/)(?:services|workflows|triggers)/"
    r"(?P<v1>[A-Za-z0-9/_+-]{10,512})"
    r"|\.webhook\.office\.com/webhookb2/(?P<v2>[A-Za-z0-9@/_-]{20,512})"
    r"|/api/webhooks/(?<=discord\.com/api/webhooks/)(?P<v3>[0-9]{5,30}/[A-Za-z0-9_-]{20,256})"
    r"|/api/webhooks/(?<=discordapp\.com/api/webhooks/)(?P<v5>[0-9]{5,30}/[A-Za-z0-9_-]{20,256})"
    r"|\.softlayer\.com/(?<=api\.softlayer\.com/)(?:soap|rest)/v3(?:\.1)?/"
    r"(?P<v4>[A-Za-z0-9]{64})")


def _jwt_span(value: str) -> int | None:
    """Length of the JWT at the start of `value`, or None when it is no JWT."""
    parts = value.split(".")
    if len(parts) < 2 or len(parts[1]) < 2:
        return None
    signed = len(parts) >= 3 and parts[2] != ""
    if not signed and not parts[1].startswith("ey"):
        return None  # an unsigned JWT's payload is JSON too
    if signed and value.endswith("."):
        return len(value) - 1  # the sentence's full stop
    return len(value)


def _scan_shapes(text: str, low: str) -> Iterator[_Hit]:
    first = _SHAPE_AT_START.match(text)
    matches = ([first] if first else []) + list(_SHAPE_RE.finditer(text))
    for m in matches:
        start = m.start() if m is first else m.start() + 1
        value = text[start:m.end()]
        flag = m.lastgroup or ""
        if flag.startswith("jwt"):
            if value.startswith("eyJ"):
                n = _jwt_span(value)
                if n is None:
                    continue
                value = value[:n]
            yield _Hit(start, start + len(value), "jwt", value)
            continue
        if flag.startswith("weak") and (text[start - 1:start] in ("+", "/") or not (
                any(c.isdigit() for c in value) and any(c.isalpha() for c in value[2:]))):
            continue  # (inside a base64 blob, `+AP3x...` is chance)
        yield _Hit(start, start + len(value), "token", value)
    for regex, before, width in _INFIX_SHAPES:
        for m in regex.finditer(text):
            start = m.start()
            if before is not None:
                b = before.search(text, max(0, start - width), start)
                if not b or b.end() != start:
                    continue
                start = b.start()
            elif start and (text[start - 1].isalnum() or text[start - 1] in "_-"):
                continue
            value = text[start:m.end()]
            if any(c.isdigit() for c in value):
                yield _Hit(start, m.end(), "token", value)
    for m in _WEBHOOK_RE.finditer(text):
        g = m.lastgroup or "v1"
        yield _Hit(m.start(g), m.end(g), "token", m[g])


# ----------------------------------------------------------- private keys ----
_PEM_BEGIN = re.compile(r"----(?:-|[ ])BEGIN [A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PEM_END = re.compile(r"----(?:-|[ ])END [A-Z0-9 _-]{0,40}PRIVATE KEY(?: BLOCK)? ?-{4,5}")
_PPK_BEGIN = re.compile(r"PuTTY-User-Key-File-[0-9]{1,2}:")
_PPK_END = re.compile(r"Private-(?:MAC|Hash):[ \t]{0,8}[0-9A-Fa-f]{0,256}")
_PEM_STOP = re.compile(r"\n[ \t]*\r?\n|\"|```")
_PEM_HEADER_LINE = re.compile(r"[ \t]*[A-Za-z][A-Za-z-]{0,30}:[ \t]")


def _scan_pem(text: str, low: str) -> Iterator[_Hit]:
    """Whole private key blocks (PEM, SSH2, PGP, PuTTY .ppk); a block with no end runs to
    a blank line, a quote or a fence."""
    for begin_re, end_re in ((_PEM_BEGIN, _PEM_END), (_PPK_BEGIN, _PPK_END)):
        begins = list(begin_re.finditer(text))
        if not begins:
            continue
        ends = list(end_re.finditer(text))
        end_starts = [e.start() for e in ends]
        for i, begin in enumerate(begins):
            limit = begins[i + 1].start() if i + 1 < len(begins) else len(text)
            j = bisect_left(end_starts, begin.end())
            if j < len(ends) and ends[j].start() < limit:
                stop = ends[j].end()
            else:
                stop = _truncated_stop(text, begin.end(), limit)
            body = re.sub(r"\s+|\\n", "", text[begin.end():stop])
            yield _Hit(begin.start(), stop, "private_key", begin[0] + body)


def _truncated_stop(text: str, body_start: int, limit: int) -> int:
    stop = limit
    for s in _PEM_STOP.finditer(text, body_start, limit):
        line_start = text.rfind("\n", 0, s.start()) + 1
        if line_start >= body_start and _PEM_HEADER_LINE.match(text, line_start, s.start() + 1):
            continue  # `DEK-Info: ...` is followed by a blank line, `Comment: "..."` by more
        stop = s.start()
        break
    while stop > body_start and text[stop - 1].isspace():
        stop -= 1
    return stop


# Each scanner with the (lowercase) words it needs: skipped when none is in the text.
_SCANNERS: tuple[tuple[Callable[[str, str], Iterator[_Hit]], tuple[str, ...]], ...] = (
    (_scan_pem, ("private key", "putty-user-key-file")),
    (_scan_headers, ("authorization", "cookie")),
    (_scan_bearer, ("bearer",)),
    (_scan_keys, ()),
    (_scan_name_value, ("value", "</")),
    (_scan_compare, ("==", "!=")),
    (_scan_cli, ()),
    (_scan_k8s_secret, ("secret",)),
    (_scan_shapes, ()),
)


def _scan_custom(text: str, patterns: Sequence[re.Pattern[str]]) -> Iterator[_Hit]:
    """Caller patterns: the group named `secret`, else group 1, else the whole match."""
    for pattern in patterns:
        group: int | str = ("secret" if "secret" in pattern.groupindex
                            else 1 if pattern.groups else 0)
        for m in pattern.finditer(text):
            start, end = m.span(group)
            if start < end and not _stand_in(m[group]):
                yield _Hit(start, end, "custom", m[group])


def _outside_marks(text: str, hits: list[_Hit], marks: list[tuple[int, int]]) -> list[_Hit]:
    """Hits with the parts that are earlier placeholders cut out: what is left between
    them is still redacted (so a second pass finds nothing new)."""
    if not marks:
        return hits
    mark_starts = [s for s, _ in marks]
    out: list[_Hit] = []
    for h in hits:
        i = max(bisect_right(mark_starts, h.start) - 1, 0)
        if not (i < len(marks) and marks[i][0] < h.end and (
                marks[i][1] > h.start or (i + 1 < len(marks) and marks[i + 1][0] < h.end))):
            out.append(h)
            continue
        pos = h.start
        pieces: list[tuple[int, int]] = []
        while i < len(marks) and marks[i][0] < h.end:
            ms, me = marks[i]
            if me > pos:
                if ms > pos:
                    pieces.append((pos, ms))
                pos = me
            i += 1
        if pos < h.end:
            pieces.append((pos, h.end))
        for a, b in pieces:
            while a < b and text[a].isspace():
                a += 1
            while b > a and text[b - 1].isspace():
                b -= 1
            if any(c.isalnum() for c in text[a:b]):
                out.append(_Hit(a, b, h.kind, text[a:b]))
    return out


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """Join overlapping spans under the best kind."""
    merged: list[_Hit] = []
    for h in sorted(hits, key=lambda h: (h.start, -h.end, _PRIORITY[h.kind])):
        if merged and h.start < merged[-1].end:
            last = merged[-1]
            best = h if _PRIORITY[h.kind] < _PRIORITY[last.kind] else last
            merged[-1] = _Hit(last.start, max(last.end, h.end), best.kind, best.value)
        else:
            merged.append(h)
    return merged


_GLUE = frozenset(string.ascii_letters + string.digits + "_.-$\\+")
_STRUCTURE = re.compile(r"[\"'`<>()\[\]{}\r\n\\]")


def _changes_context(text: str, h: _Hit) -> bool:
    """Whether replacing `h` can make another scanner see something new: the placeholder
    is glued to a word, or the span held a quote, bracket or line end."""
    return (text[h.end:h.end + 1] in _GLUE or text[h.start - 1:h.start] in _GLUE
            or _STRUCTURE.search(text, h.start, h.end) is not None)


# ---------------------------------------------------------------------- API ----
@dataclass(frozen=True)
class RedactionResult:
    text: str
    count: int  # occurrences replaced
    kinds: dict[str, int] = field(default_factory=dict, hash=False)  # distinct secrets per kind


@dataclass
class Redactor:
    """Stateful: the same secret always maps to the same placeholder."""

    extra_patterns: Sequence[str | re.Pattern[str]] = ()
    _patterns: tuple[re.Pattern[str], ...] = field(default=(), init=False, repr=False)
    _names: dict[str, str] = field(default_factory=dict, init=False, repr=False)
    _kinds: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _last: dict[str, int] = field(default_factory=dict, init=False, repr=False)
    _count: int = field(default=0, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False,
                                  compare=False)

    def __post_init__(self) -> None:
        self._patterns = tuple(p if isinstance(p, re.Pattern) else re.compile(p)
                               for p in self.extra_patterns)

    def redact(self, text: str) -> str:
        """`text` with every secret replaced by its placeholder."""
        out, again = self._pass(text)
        for _ in range(3):
            # A placeholder can change what is around it (a `]` glued to a word, a quote or
            # a line end it took): then go again until nothing changes, so that redacting
            # the result changes nothing.
            if not again:
                break
            out, again = self._pass(out)
        return out

    def _pass(self, text: str) -> tuple[str, bool]:
        if not text:
            return text, False
        low = _lower(text)
        hits = [h for scan, needles in _SCANNERS
                if not needles or any(n in low for n in needles) for h in scan(text, low)]
        hits.extend(_scan_custom(text, self._patterns))
        marks = [m.span() for m in PLACEHOLDER_RE.finditer(text)] if "[REDACTED:" in text else []
        out: list[str] = []
        pos = 0
        with self._lock:
            for start, end in marks:  # numbers already in the text are taken: no reuse
                mark = PLACEHOLDER_RE.match(text, start, end)
                if mark:
                    kind, n = mark["kind"], int(mark["n"])
                    self._last[kind] = max(self._last.get(kind, 0), n)
            merged = _merge(_outside_marks(text, hits, marks)) if hits else []
            if not merged:
                return text, False
            again = bool(marks)
            for h in merged:
                out.append(text[pos:h.start])
                out.append(self._placeholder(h.kind, h.value))
                pos = h.end
                self._count += 1
                again = again or _changes_context(text, h)
        out.append(text[pos:])
        return "".join(out), again

    def _placeholder(self, kind: str, value: str) -> str:
        name = self._names.get(value)
        if name is None:
            self._kinds[kind] = self._kinds.get(kind, 0) + 1
            self._last[kind] = n = self._last.get(kind, 0) + 1
            name = self._names[value] = f"[REDACTED:{kind}#{n}]"
        return name

    @property
    def count(self) -> int:
        """Occurrences replaced so far."""
        return self._count

    @property
    def kinds(self) -> dict[str, int]:
        """Distinct secrets seen so far, per kind."""
        return dict(self._kinds)


def redact(text: str, extra_patterns: Sequence[str | re.Pattern[str]] = ()) -> RedactionResult:
    """One-shot redaction with a fresh `Redactor`."""
    redactor = Redactor(extra_patterns)
    out = redactor.redact(text)
    return RedactionResult(out, redactor.count, redactor.kinds)


_LOG_SPACE = re.compile(r"[\s\x00-\x1f\x7f]+")


def redact_for_log(text: str, limit: int = 200) -> str:
    """Redacted, on one line, at most `limit` characters (cut with "…"): for log lines."""
    flat = _LOG_SPACE.sub(" ", redact(text).text).strip()
    if len(flat) <= limit:
        return flat
    return flat[:max(limit - 1, 0)] + "…"

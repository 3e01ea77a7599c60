"""Does this key hold a secret? Key names judged by their words.

`db_password`, `AWS_SECRET_ACCESS_KEY`, `x-api-key`, `stripeToken` hold secrets;
`secret_type`, `token_expired`, `max_tokens`, `primary_key` do not. The verdict comes
mostly from the key's last word; vendor names (gitleaks' keyword rules) make a plain
`<vendor>_key` a credential whatever its value looks like. Cached: a paste repeats its keys.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import pairwise

__all__ = ["key_kind"]

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


_NUMBERS = re.compile(r"(?<![^\W_])[0-9]+(?![^\W_])")  # a word of digits only: `_12_`, `-3`


def key_kind(key: str) -> tuple[str, bool] | None:
    """(kind, weak) of the secret a key holds, or None (see `_key_kind`). Numbered keys
    (`db_password_1`, `db_password_2`...) share one verdict: a word of digits says nothing."""
    found = _by_key.get(key, _UNSEEN)
    if found is _UNSEEN:
        found = _key_kind(_NUMBERS.sub("0", key))
        if len(_by_key) >= _MAX_KEYS:
            _by_key.clear()
        _by_key[key] = found
    return found  # type: ignore[return-value]


_UNSEEN = object()
_MAX_KEYS = 65_536
_by_key: dict[str, object] = {}


@lru_cache(maxsize=4096)
def _key_kind(key: str) -> tuple[str, bool] | None:
    """(kind, weak) of the secret a key holds, or None. Weak keys also hold ordinary values:
    theirs must look random (`token_like`). Decided mostly by the key's last word:

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

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

However the text came: as Slack delivers it (`&lt;password&gt;`, `=&gt;`, `a&amp;b`: read
through Slack's three entities) and inside JSON strings (an error envelope's message, a
JSON log line, a log line quoted in one: each escaped string is also read decoded, three
strings deep). A placeholder never splits an escape, so the JSON stays valid.

Where each lives: values (is this value a secret?), keys (does this key hold one?),
assignments (key/value syntaxes), headers, commands (command lines), structured (XML,
YAML block scalars, private key blocks, connection strings), shapes (known token
shapes), spans (scanning, decoded views of escaped text, merging, linear time), periodic
(key spam: a stretch repeating one unit is read as a few copies of it), redactor
(numbering, replacing, further passes).

Known limits: a secret needs context (a key, header, flag, URL, or a known shape
such as xoxb-/ghp_/AKIA/eyJ); a bare random string in prose ("my password is x")
stays, and so do hex digests and ids (they are triage context, not secrets). A header
value after `Authorization:`/`Cookie:` runs to the line end (or the closing quote), so
anything after it on that line goes too. After a secret key with `: `, prose is taken
as the value ("password: must be 12 chars" loses "must").
`secret=<name or path>` (e.g. `db-root`, `apps/crm/smtp`) is kept: vaults name secrets.
"""

from __future__ import annotations

from bot.redact.redactor import (
    PLACEHOLDER_RE,
    Finding,
    RedactionResult,
    Redactor,
    redact,
    redact_for_log,
)
from bot.redact.values import KINDS

__all__ = ["KINDS", "PLACEHOLDER_RE", "Finding", "RedactionResult", "Redactor", "redact",
           "redact_for_log"]

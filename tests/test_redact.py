"""Secrets leave every paste; request ids, error codes and key names stay."""

from __future__ import annotations

import base64
import json
import re
import string
import time
from pathlib import Path

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from bot.redact import PLACEHOLDER_RE, RedactionResult, Redactor, redact, redact_for_log

JWT = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtY2hlY2tvdXQiLCJleHAiOjE3NDcwMDAwMDB9"
       ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
PEM_BODY = ["MIIEowIBAAKCAQEA0Z3VS5JJcds3xfn/ygWyF8PbnGy0AHB7MhgHcTz6sE2I2yPB",
            "aWbRQ7GyBaAcRStKX5xeuf1NOTiR1Q6vCJoH4lSdRhVKvmhNuiEa3yYsMbNz1dfE",
            "v2Vc8nqFm6ZlSuC4i93aTuqCkBb6nVGFzI8KkPXCVCUj0U4XJUExdM9ytgVvxQ=="]
PEM = ("-----BEGIN RSA PRIVATE KEY-----\n" + "\n".join(PEM_BODY)
       + "\n-----END RSA PRIVATE KEY-----")


# ----------------------------------------------------------- examples per kind ----
def test_curl_verbose_bearer_jwt_is_redacted_and_request_id_kept():
    paste = (f"$ curl -sv https://vault.internal.acme.io/v1/secrets/apps/checkout/stripe "
             f"-H 'Authorization: Bearer {JWT}'\n"
             "> GET /v1/secrets/apps/checkout/stripe HTTP/2\n"
             "> Host: vault.internal.acme.io\n"
             f"> Authorization: Bearer {JWT}\n"
             ">\n< HTTP/2 401\n"
             '< www-authenticate: Bearer error="invalid_token"\n'
             "< x-request-id: req_Tq83hW2s\n<\n"
             '{"error":{"code":"token_expired","message":"The token\'s exp has passed",'
             '"request_id":"req_Tq83hW2s"}}')
    out = redact(paste)
    assert "eyJ" not in out.text and "dBjftJeZ4CVP" not in out.text
    assert "> Authorization: Bearer [REDACTED:authorization#1]" in out.text
    assert "-H 'Authorization: Bearer [REDACTED:authorization#1]'" in out.text
    for kept in ("x-request-id: req_Tq83hW2s", '"request_id":"req_Tq83hW2s"', "token_expired",
                 'www-authenticate: Bearer error="invalid_token"', "HTTP/2 401",
                 "/v1/secrets/apps/checkout/stripe"):
        assert kept in out.text
    assert (out.count, out.kinds) == (2, {"authorization": 1})


def test_json_config_client_secret_and_tokens_but_not_key_names():
    config = json.dumps({"client_id": "svc-reporting", "client_secret": "s3cr3t-Value-9f8e",
                         "secret_type": "kv", "token_type": "bearer",
                         "access_token": "ya29.a0AfH6SMBx3", "apiKey": "k_live_12ab34cd",
                         "password": "hunter2!", "code": "invalid_secret_type"}, indent=2)
    out = redact(config).text
    for gone in ("s3cr3t-Value-9f8e", "ya29.a0AfH6SMBx3", "k_live_12ab34cd", "hunter2!"):
        assert gone not in out
    assert '"client_secret": "[REDACTED:secret#1]"' in out
    assert '"access_token": "[REDACTED:token#1]"' in out
    assert '"password": "[REDACTED:password#1]"' in out
    for kept in ('"secret_type": "kv"', '"token_type": "bearer"', '"client_id": "svc-reporting"',
                 '"code": "invalid_secret_type"'):
        assert kept in out


def test_postgres_url_keeps_user_and_host_and_drops_the_password():
    out = redact("DATABASE_URL=postgres://app_user:S3cr3t%40pw@db.internal:5432/app").text
    assert out == "DATABASE_URL=postgres://app_user:[REDACTED:password#1]@db.internal:5432/app"
    out = redact("redis://:r3dispass@cache:6379/0 and mysql://root:p@ss@db/x").text
    assert out == "redis://:[REDACTED:password#1]@cache:6379/0 and mysql://root:[REDACTED:password#2]@db/x"


def test_pem_private_key_pasted_in_slack_message_is_replaced_whole():
    msg = f"here is the key the agent uses:\n```\n{PEM}\n```\nreq_9f8e7d failed with CERT_INVALID"
    out = redact(msg)
    assert out.text == ("here is the key the agent uses:\n```\n[REDACTED:private_key#1]\n```\n"
                        "req_9f8e7d failed with CERT_INVALID")
    assert out.kinds == {"private_key": 1}


def test_truncated_pem_runs_to_the_blank_line_or_the_end():
    cut = "-----BEGIN OPENSSH PRIVATE KEY-----\n" + "\n".join(PEM_BODY[:2])
    assert redact(cut + "\n\nreq_abc123 AUTH_EXPIRED").text == (
        "[REDACTED:private_key#1]\n\nreq_abc123 AUTH_EXPIRED")
    assert redact("key: " + cut).text == "key: [REDACTED:private_key#1]"
    fenced = redact(f"```\n{cut}\n```\nthanks").text
    assert fenced == "```\n[REDACTED:private_key#1]\n```\nthanks"


def test_encrypted_pem_headers_then_blank_line_do_not_end_a_truncated_block():
    cut = ("-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n"
           "DEK-Info: AES-128-CBC,3F17F5316E2BAC89\n\n" + PEM_BODY[0])
    out = redact(cut + "\n\nreq_abc123").text
    assert PEM_BODY[0] not in out and out.endswith("\n\nreq_abc123")


def test_pem_inside_service_account_json():
    sa = json.dumps({"type": "service_account", "private_key_id": "0a1b2c3d",
                     "private_key": PEM + "\n", "client_email": "sa@p.iam.gserviceaccount.com"})
    out = redact(sa).text
    assert '"private_key": "[REDACTED:private_key#1]"' in out
    assert all(line not in out for line in PEM_BODY)
    assert '"private_key_id": "0a1b2c3d"' in out and "sa@p.iam.gserviceaccount.com" in out


def test_set_cookie_and_cookie_headers_lose_their_whole_value():
    paste = ("< HTTP/1.1 403 Forbidden\n"
             "< Set-Cookie: csrftoken=Zx81kQ; Path=/; HttpOnly; Secure\n"
             "< set-cookie: session=8d1e0f2a; Path=/\n"
             "> Cookie: session=8d1e0f2a; csrftoken=Zx81kQ\n"
             '{"error":"CSRF_INVALID","message":"CSRF token missing or invalid"}')
    out = redact(paste).text
    assert "Zx81kQ" not in out and "8d1e0f2a" not in out
    assert "< Set-Cookie: [REDACTED:cookie#1]\n< set-cookie: [REDACTED:cookie#2]\n" in out
    assert "> Cookie: [REDACTED:cookie#3]" in out
    assert '{"error":"CSRF_INVALID","message":"CSRF token missing or invalid"}' in out
    assert redact('curl -H "Cookie: sid=abc123" https://x').text == (
        'curl -H "Cookie: [REDACTED:cookie#1]" https://x')


def test_env_dump():
    env = "\n".join([
        "export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
        "export AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "PGPASSWORD=pgpw123", "SLACK_BOT_TOKEN=xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp",
        "SLACK_APP_TOKEN=xapp-1-A0123456789-1234567890123-abcdef0123",
        "GITHUB_TOKEN=ghp_16C7e42F292c6912E7710c838347Ae178B4a",
        "STRIPE_KEY=sk_live_4eC39HqLyjWDarjt",
        "DB_PASSWORD='multi word pass'", "PWD=/home/bob", "HOME=/home/bob",
        "SCAIVAULT_HOST=scaivault.prod.example.net", "LOG_LEVEL=debug"])
    out = redact(env)
    for gone in ("AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI", "pgpw123", "AbCdEfGhIjKlMnOp",
                 "abcdef0123", "ghp_16C7", "4eC39HqLyjWDarjt", "multi word pass"):
        assert gone not in out.text
    for kept in ("PWD=/home/bob", "HOME=/home/bob", "SCAIVAULT_HOST=scaivault.prod.example.net",
                 "LOG_LEVEL=debug", "export AWS_SECRET_ACCESS_KEY=[REDACTED:secret#1]",
                 "PGPASSWORD=[REDACTED:password#1]", "DB_PASSWORD='[REDACTED:password#2]'"):
        assert kept in out.text
    assert out.count == 8 and out.kinds == {"token": 5, "secret": 1, "password": 2}


@pytest.mark.parametrize(("text", "expected"), [
    ("password=hunter2 user=bob", "password=[REDACTED:password#1] user=bob"),
    ("passwd: hunter2", "passwd: [REDACTED:password#1]"),
    ("pwd=hunter2", "pwd=[REDACTED:password#1]"),
    ("mysql -u root -p'pa ss' --password hunter22",
     "mysql -u root -p'[REDACTED:password#1]' --password [REDACTED:password#2]"),
    ("curl -u admin:s3cret https://x", "curl -u admin:[REDACTED:password#1] https://x"),
    ("{'password': 'p@ss w0rd', 'user': 'bob'}",
     "{'password': '[REDACTED:password#1]', 'user': 'bob'}"),
    ('{\\"password\\": \\"esc4ped\\"}', '{\\"password\\": \\"[REDACTED:password#1]\\"}'),
    ('password: "cut off mid-pa', 'password: "[REDACTED:password#1]'),
    ("spring.datasource.password=abc123", "spring.datasource.password=[REDACTED:password#1]"),
    ("webhook_secret=whk123abc", "webhook_secret=[REDACTED:secret#1]"),
    ("secret: hunter2hunter2", "secret: [REDACTED:secret#1]"),
    ("GET /v1/items?api_key=abcDEF123&limit=10&access_token=tok998877 HTTP/1.1",
     "GET /v1/items?api_key=[REDACTED:token#1]&limit=10&access_token=[REDACTED:token#2] HTTP/1.1"),
    # `&` inside a bare value is part of it; before `name=` it starts the next parameter
    ("password=Tr0ub4dor&3-horse user=crm", "password=[REDACTED:password#1] user=crm"),
    ("?password=s3cr&amp;et&amp;user=bob", "?password=[REDACTED:password#1]&amp;user=bob"),
    ("X-API-Key: 7f3a9c2e1b\nX-Request-ID: req_9f8e7d",
     "X-API-Key: [REDACTED:token#1]\nX-Request-ID: req_9f8e7d"),
    ("apikey: abcd1234", "apikey: [REDACTED:token#1]"),
    ("client_secret=cs_9f8e7d6c", "client_secret=[REDACTED:secret#1]"),
    ("token=abc123def", "token=[REDACTED:token#1]"),
    ("the key is AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI ok",
     "the key is [REDACTED:token#1] ok"),
    ("use github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz now",
     "use [REDACTED:token#1] now"),
    ("sent Bearer abc123XYZ789 to the API", "sent Bearer [REDACTED:token#1] to the API"),
    ("Authorization: Basic dXNlcjpwYXNz", "Authorization: Basic [REDACTED:authorization#1]"),
    ("Authorization: token ghp_16C7e42F292c6912E7710c838347Ae178B4a",
     "Authorization: token [REDACTED:authorization#1]"),
    ('Authorization: Digest username="bob", response="6629fae4"',
     "Authorization: Digest [REDACTED:authorization#1]"),
    ('{"Authorization": "Bearer abc123xyz"}',
     '{"Authorization": "Bearer [REDACTED:authorization#1]"}'),
    ("authorization: sk_live_4eC39HqLyjWDarjt", "authorization: [REDACTED:authorization#1]"),
    (f"id_token={JWT}", "id_token=[REDACTED:jwt#1]"),
    (f"see {JWT}.", "see [REDACTED:jwt#1]."),
    ("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://hooks.slack.com/services/[REDACTED:token#1]"),
    # a quoted key after a secret-sounding word is a key, not that word's value
    ('PRIVATEKEY "password": "Aa00000000000000"', 'PRIVATEKEY "password": "[REDACTED:password#1]"'),
])
def test_examples(text: str, expected: str):
    assert redact(text).text == expected


# --------------------------------------------------------------------- keep list ----
KEEP = [
    "X-Request-ID: req_9f8e7d",
    "x-request-id: 3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "request_id=req_9f8e7d code=RATE_LIMITED retry_after=45",
    "HTTP/1.1 429 Too Many Requests",
    "2026-02-10T14:22:07Z ERROR CSRF_INVALID AUTH_EXPIRED TOKEN_REVOKED",
    "token_expired authentication_required invalid_secret_type secret_not_found",
    "Secret 'environments/production/db' not found",
    '{"error":{"code":"secret_not_found","message":"Secret \'environments/production/missing\' '
    'not found","details":{"path":"environments/production/missing"},"request_id":"req_abc123"}}',
    '{"secret_type": "kv", "token_type": "bearer", "expires_in": 3600, "max_tokens": 5}',
    "secret: environments/production/db",
    "error=invalid_token token_type=Bearer",
    "Invalid token: TOKEN_EXPIRED",
    "GET /v1/secrets/environments/production/missing HTTP/2",
    'curl -sk -H "Authorization: Bearer <admin-token>" https://vault.example.com/api/v1/health',
    "mazevault-agent register --bootstrap-token <token> --server https://vault.example.com",
    '$ curl -v -H "Authorization: Bearer $SV_TOKEN" https://api.scaivault.example.com',
    "> Authorization: Bearer [REDACTED]",
    "password=${DB_PASSWORD} token=&lt;token&gt; api_key=***",
    '< www-authenticate: Bearer realm="api", error="invalid_token"',
    "psql -h db.internal -p 5432 -U app",
    "Host: vault.example.com",
    "password=[REDACTED:password#1] Cookie: [REDACTED:cookie#2]",
    "> authorization: Bearer [redacted]",
    "'Include Authorization: Bearer <token> header'",
    "level=error code=ENCRYPTION_ERROR msg=\"decrypt secret failed\" secret=stripe-live",
    '{"logger":"controllers.ExternalSecret","ExternalSecret":"payments/db-creds"}',
]


@pytest.mark.parametrize("text", KEEP)
def test_keep_list_passes_through_unchanged(text: str):
    out = redact(text)
    assert (out.text, out.count) == (text, 0)


@pytest.mark.parametrize("path", sorted(Path(__file__).parent.parent.glob("catalog/*.yml")),
                         ids=lambda p: p.name)
def test_catalog_documentation_passes_through_unchanged(path: Path):
    text = path.read_text(encoding="utf-8")
    assert redact(text).text == text


def test_request_ids_and_codes_survive_beside_secrets():
    paste = ("2026-02-10T14:22:07Z level=error request_id=req_9f8e7d code=AUTH_EXPIRED "
             "password=hunter2 msg=\"token expired\"\n"
             '{"error":{"code":"token_expired","request_id":"req_Tq83hW2s"},"token":"t0k3n-abc"}')
    out = redact(paste).text
    assert "hunter2" not in out and "t0k3n-abc" not in out
    for kept in ("req_9f8e7d", "AUTH_EXPIRED", "token_expired", "req_Tq83hW2s",
                 'msg="token expired"', "2026-02-10T14:22:07Z"):
        assert kept in out


# ---------------------------------------------------------- consistency, counts ----
def test_same_secret_same_placeholder_different_secret_next_number():
    r = Redactor()
    out = r.redact("password=aaa111 then password=bbb222 then again password=aaa111")
    assert out == ("password=[REDACTED:password#1] then password=[REDACTED:password#2] "
                   "then again password=[REDACTED:password#1]")
    assert (r.count, r.kinds) == (3, {"password": 2})


def test_consistency_across_calls_and_contexts_of_one_redactor():
    r = Redactor()
    first = r.redact("Authorization: Bearer abc123token")
    second = r.redact("later the same token=abc123token and postgres://u:pw99@h/db")
    assert first == "Authorization: Bearer [REDACTED:authorization#1]"
    assert second == ("later the same token=[REDACTED:authorization#1] and "
                      "postgres://u:[REDACTED:password#1]@h/db")
    assert (r.count, r.kinds) == (3, {"authorization": 1, "password": 1})


def test_placeholders_already_in_the_text_keep_their_numbers():
    r = Redactor()
    out = r.redact("stored: password=[REDACTED:password#1]\nnew: password=fresh99")
    assert out == "stored: password=[REDACTED:password#1]\nnew: password=[REDACTED:password#2]"
    assert (r.count, r.kinds) == (1, {"password": 1})
    assert PLACEHOLDER_RE.fullmatch("[REDACTED:password#2]")


def test_separate_redactors_number_independently():
    assert redact("token=one111").text == redact("token=two222").text == "token=[REDACTED:token#1]"


def test_one_shot_result_shape():
    result = redact("password=x1y2z3 token=abc123 password=x1y2z3")
    assert result == RedactionResult("password=[REDACTED:password#1] token=[REDACTED:token#1] "
                                     "password=[REDACTED:password#1]", 3,
                                     {"password": 1, "token": 1})


def test_custom_patterns_strings_and_compiled_with_groups():
    r = Redactor(extra_patterns=[r"LIC-[0-9A-F]{4}-[0-9A-F]{4}",
                                 re.compile(r"acct=(\d{6,})"),
                                 re.compile(r"tenant (?P<secret>t-[a-z0-9]{8})")])
    out = r.redact("key LIC-AB12-CD34 acct=1234567 tenant t-abcd1234, LIC-AB12-CD34")
    assert out == ("key [REDACTED:custom#1] acct=[REDACTED:custom#2] tenant "
                   "[REDACTED:custom#3], [REDACTED:custom#1]")
    assert r.kinds == {"custom": 3} and r.count == 4
    assert redact("LIC-AB12-CD34", ["LIC-[0-9A-F]{4}-[0-9A-F]{4}"]).count == 1


def test_idempotent_on_realistic_paste():
    paste = "\n".join([PEM, f"> Authorization: Bearer {JWT}", "password=hunter2",
                       "Set-Cookie: sid=abc123; Path=/", "postgres://u:pw@h/db",
                       "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp", "req_9f8e7d RATE_LIMITED"])
    r = Redactor()
    once = r.redact(paste)
    count = r.count
    assert r.redact(once) == once and r.count == count
    assert redact(once).text == once


def test_redact_for_log_is_one_redacted_truncated_line():
    line = redact_for_log("first line\npassword=hunter2\t\x00 more " + "x" * 500, limit=60)
    assert "\n" not in line and "\x00" not in line and "hunter2" not in line
    assert len(line) == 60 and line.endswith("…")
    assert line.startswith("first line password=[REDACTED:password#1] more ")
    assert redact_for_log("  short  \n") == "short"


# ------------------------------------------------------------------ performance ----
ADVERSARIAL = {
    "letters": "a" * 1_000_000,
    "equals": "=" * 1_000_000,
    "base64ish": ("Zm9vYmFy+/0123456789abcdefABCDEF_-" * 30_000)[:1_000_000],
    "pem_no_end": "-----BEGIN PRIVATE KEY-----\n" + ("A" * 64 + "\n") * 15_000,
    "many_pem_begins": "-----BEGIN PRIVATE KEY-----\nAAAA\n\n" * 25_000,
    "open_quote": 'password="' + "y" * 1_000_000,
    "key_runs": "token:" * 160_000 + "api_key_token_secret " * 2_000,
    "pairs": "a=b " * 250_000,
    "jwt_prefix": "eyJ" + "a" * 1_000_000,
    "url_no_at": "postgres://u:" + "p" * 1_000_000,
    "headers": "Authorization: Cookie: Bearer " * 30_000,
    "quotes": "\"'" * 500_000,
    "log": ("2026-02-10T14:22:07Z level=error request_id=req_9f8e7d code=RATE_LIMITED "
            "password=hunter2 path=/v1/secrets/environments/production/db\n") * 7_500,
}


@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_one_megabyte_adversarial_input_is_linear(name: str):
    text = ADVERSARIAL[name]
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 5  # a guard against blowup, not a benchmark


# Keys glued in one run share their values' end, and a Secret document holds many `data:`:
# each took quadratic time (100 kB of `key=` took 70 s, 400 kB of `data:` lines 23 s).
GLUED = {
    "keys": "key=" * 50_000,
    "weak_keys_then_path": ("key=" * 1_500 + "/a.pdf ") * 30,
    "vendor_keys": "api_key=x" * 22_000,
    "flags": "--key=x" * 28_000,
    "pwd_paths": "pwd=/" * 40_000,
    "secret_data_lines": "data:\n" * 33_000 + "kind: Secret",
    "secret_json_data": '"data": {' * 22_000 + " kind: secret",
}


@pytest.mark.parametrize("name", sorted(GLUED))
def test_glued_keys_and_secret_documents_are_linear(name: str):
    start = time.perf_counter()
    redact(GLUED[name])
    assert time.perf_counter() - start < 5  # a guard against blowup; ~0.1-0.6 s measured


def test_long_secret_is_redacted_whole():
    assert redact("password=" + "y7" * 20_000).text == "password=[REDACTED:password#1]"


# Numbered keys never repeat, so their spam is read key by key; lines that are a plain
# `key: value` are found by one pass over the text and judged as any assignment is.
def test_numbered_key_spam_loses_every_value_and_keeps_every_key():
    out = redact("".join(f"db_password_{i}: S3cr3t{i}x\n" for i in range(3_000))).text
    assert out.splitlines() == [f"db_password_{i}: [REDACTED:password#{i + 1}]"
                                for i in range(3_000)]


PLAIN_LINES = ["db_password_7: S3cr3t7x", "api_key=abc123DEF", "token: tokenABC123",
               "cookie: abc123def", "  secret :  Zq8PzW4nXbT2  ", "password: xxxxxxxx",
               "password: null", "password_min_length: 12", "password: " + "a1" * 20,
               "Password\t=\tHunter2Secret", "client.assign: abc12345", "stripe_key: abc",
               "AUTHORIZATION: abc123def", "set_cookies = sess123abc", "db.password-2 =Secr3t\r"]


@pytest.mark.parametrize("line", PLAIN_LINES)
def test_a_plain_line_redacts_as_the_same_assignment_inside_a_line(line: str):
    alone = redact(line + "\n").text
    assert redact("x " + line + "\n").text == "x " + alone
    assert redact("first\n" + line + "\nlast\n").text == "first\n" + alone + "last\n"


def test_plain_lines_inside_a_block_scalar_go_with_it():
    block = "password: |\n" + "".join(f"  db_password_{i}: S3cr3t{i}xyz\n" for i in range(12))
    assert redact(block + "db_password_99: S3cr3t99xyz\n").text == (
        "password: |\n  [REDACTED:password#1]\ndb_password_99: [REDACTED:password#2]\n")


# ------------------------------------------------------------- property tests ----
ALNUM = string.ascii_letters + string.digits
B64 = ALNUM + "+/"
B64URL = ALNUM + "-_"
PW_CHARS = ALNUM + "!#%()*+,-.:;=?@[]^_{|}~"
NOISE = st.text(alphabet=string.printable, max_size=60)
LOG_NOISE = st.sampled_from([
    "2026-02-10T14:22:07Z INFO retrying in 5s", "* Connected to vault.example.com port 443",
    "> Host: vault.example.com", "< HTTP/2 429", "< retry-after: 45", "level=warn msg=\"slow\"",
    "Traceback (most recent call last):", '  File "app.py", line 12, in <module>',
    "GET /v1/secrets/environments/production/missing HTTP/2", "",
])
# Derandomized: the same examples on every run, so CI cannot go red at random; the
# examples found by wider runs are pinned with @example.
PROPS = settings(max_examples=200, deadline=None, derandomize=True)


def entropic(alphabet: str, min_size: int = 16, max_size: int = 40) -> st.SearchStrategy[str]:
    """Random secret that is no word, mask or code: starts with upper, lower, digit."""
    head = st.tuples(st.sampled_from(string.ascii_uppercase),
                     st.sampled_from(string.ascii_lowercase), st.sampled_from(string.digits))
    return st.tuples(head, st.text(alphabet, min_size=min_size - 3, max_size=max_size - 3)).map(
        lambda t: "".join(t[0]) + t[1])


def fixed(alphabet: str, size: int) -> st.SearchStrategy[str]:
    return st.text(alphabet, min_size=size, max_size=size)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


@st.composite
def keep_items(draw: st.DrawFn) -> tuple[str, list[str]]:
    rid = "req_" + draw(fixed(ALNUM, 10))
    uuid = str(draw(st.uuids()))
    code = draw(st.sampled_from(["RATE_LIMITED", "CSRF_INVALID", "AUTH_EXPIRED", "TOKEN_INVALID",
                                 "token_expired", "authentication_required", "secret_not_found",
                                 "invalid_secret_type", "token_revoked"]))
    made = draw(st.from_regex(r"[A-Z]{3,8}(_[A-Z]{3,8}){1,2}", fullmatch=True))
    line = draw(st.sampled_from([
        "X-Request-ID: {rid} {code}", "request_id={rid} code={code} trace={uuid}",
        '{{"error": {{"code": "{code}", "request_id": "{rid}"}}, "trace": "{uuid}"}}',
        "< x-request-id: {rid}\n{code}: {made}",
    ])).format(rid=rid, code=code, uuid=uuid, made=made)
    return line, [rid, code] + ([uuid] if uuid in line else []) + ([made] if made in line else [])


@st.composite
def paste_with(draw: st.DrawFn, secret: st.SearchStrategy[tuple[str, list[str]]]
               ) -> tuple[str, list[str], list[str]]:
    """(paste, secret needles, kept needles): a secret line amid noise, ids on their own line."""
    line, needles = draw(secret)
    keep, kept = draw(keep_items())
    before = draw(st.lists(st.one_of(NOISE, LOG_NOISE), max_size=3))
    after = draw(st.lists(st.one_of(NOISE, LOG_NOISE), max_size=3))
    left, right = draw(NOISE), draw(NOISE)
    parts = [*before, f"{left} {line} {right}", "", keep, "", *after]
    paste = "\n".join(parts)
    return paste, needles, kept


def check(paste: str, needles: list[str], kept: list[str], redactor: Redactor | None = None):
    noise = paste
    for n in needles:
        noise = noise.replace(n, "")
    if any(n in noise for n in needles) or any(k in n for k in kept for n in needles):
        return  # the noise happened to contain the secret itself
    r = redactor or Redactor()
    out = r.redact(paste)
    for n in needles:
        assert n not in out, f"secret {n!r} survived in {out!r}"
    for k in kept:
        assert k in out, f"{k!r} was lost from {out!r}"
    again = r.redact(out)
    assert again == out


def in_context(contexts: list[str], value: st.SearchStrategy[str]
               ) -> st.SearchStrategy[tuple[str, list[str]]]:
    return st.tuples(st.sampled_from(contexts), value).map(lambda t: (t[0].format(v=t[1]), [t[1]]))


TOKEN_SHAPES = st.one_of(
    st.tuples(st.sampled_from(["xoxb-", "xoxp-", "xoxa-", "xoxs-"]), fixed(string.digits, 12),
              fixed(ALNUM, 24)).map(lambda t: f"{t[0]}{t[1]}-{t[1][::-1]}-{t[2]}"),
    st.tuples(st.sampled_from(["ghp_", "gho_"]), fixed(ALNUM, 36)).map("".join),
    st.tuples(fixed(ALNUM, 22), fixed(ALNUM, 59)).map(lambda t: f"github_pat_{t[0]}_{t[1]}"),
    st.tuples(st.sampled_from(["AKIA", "ASIA"]),
              fixed(string.ascii_uppercase + string.digits, 16)).map("".join),
    st.tuples(st.sampled_from(["sk_live_", "sk_test_", "rk_live_"]), entropic(ALNUM, 16, 40)
              ).map("".join),
    fixed(B64URL, 35).map(lambda s: "AIza" + s),
).map(lambda tok: (tok, [tok]))
TOKEN_KV = in_context([
    "api_key={v}", "apikey: {v}", "access_token={v}", '"access_token": "{v}"',
    "GET /v1/items?token={v}&limit=10 HTTP/1.1", "X-API-Key: {v}", "sent Bearer {v} upstream",
    "refresh_token: '{v}'", "--api-key {v}", "X-Auth-Token: {v}",
], entropic(ALNUM + "-_.~"))


@PROPS
@given(paste_with(st.one_of(TOKEN_SHAPES, TOKEN_KV)))
def test_property_tokens_never_survive(case):
    check(*case)


@st.composite
def jwts(draw: st.DrawFn) -> tuple[str, list[str]]:
    header = b64url(json.dumps({"alg": draw(st.sampled_from(["HS256", "RS256", "ES256"])),
                                "typ": "JWT"}).encode())
    claims = {"sub": draw(fixed(ALNUM, 12)), "exp": draw(st.integers(1_600_000_000, 2_000_000_000))}
    payload = b64url(json.dumps(claims).encode())
    signature = b64url(draw(st.binary(min_size=16, max_size=64)))
    token = f"{header}.{payload}.{signature}"
    line = draw(st.sampled_from(["{t}", "> Authorization: Bearer {t}", '"id_token": "{t}"',
                                 "callback?jwt={t}&state=1", "token={t}"])).format(t=token)
    return line, [f"{payload}.{signature}", payload]


@PROPS
@given(paste_with(jwts()))
def test_property_jwts_never_survive(case):
    check(*case)


URL_PW = entropic(ALNUM + "!$%*+,;=~-._")
PASSWORDS = st.one_of(
    in_context(["password={v}", "passwd: {v}", "pwd={v}", '"password": "{v}"', "PGPASSWORD={v}",
                "--password {v}", "--password={v}", "DB_PASSWORD='{v}'", "-p'{v}'",
                "curl -u admin:{v} https://x", "dbPassword: {v}"], entropic(PW_CHARS)),
    in_context(["postgres://app:{v}@db.internal:5432/app", "mysql://root:{v}@db/x",
                "amqp://guest:{v}@rabbit:5672/"], URL_PW),
)


@PROPS
@given(paste_with(PASSWORDS))
def test_property_passwords_never_survive(case):
    check(*case)


@PROPS
@given(paste_with(in_context(
    ["client_secret={v}", '"client_secret": "{v}"', "secret_key: {v}", '"api_secret": "{v}"',
     "AWS_SECRET_ACCESS_KEY={v}", '"private_key": "{v}"', "webhook_secret={v}", '"secret": "{v}"',
     "clientSecret: {v}"], entropic(B64 + "-_"))))
def test_property_secrets_never_survive(case):
    check(*case)


@st.composite
def pem_blocks(draw: st.DrawFn) -> tuple[str, list[str]]:
    label = draw(st.sampled_from(["", "RSA ", "EC ", "OPENSSH ", "ENCRYPTED "]))
    lines = draw(st.lists(fixed(B64, 64), min_size=2, max_size=8))
    tail = draw(fixed(B64, 20)) + "=="
    body = [*lines, tail]
    begin, end = f"-----BEGIN {label}PRIVATE KEY-----", f"-----END {label}PRIVATE KEY-----"
    form = draw(st.sampled_from(["full", "truncated", "json"]))
    if form == "full":
        block = "\n".join([begin, *body, end])
    elif form == "truncated":
        block = "\n".join([begin, *body]) + "\n"  # the blank line after it ends it
    else:
        block = json.dumps({"private_key": "\n".join([begin, *body, end]) + "\n"})
    return "\n" + block + "\n", body


@PROPS
@given(paste_with(pem_blocks()))
def test_property_private_keys_never_survive(case):
    check(*case)


@st.composite
def cookies(draw: st.DrawFn) -> tuple[str, list[str]]:
    a, b = draw(entropic(ALNUM + "-_.")), draw(entropic(ALNUM + "%-_"))
    line = draw(st.sampled_from([
        "Cookie: session={a}; csrftoken={b}", "< Set-Cookie: sid={a}; Path=/; HttpOnly; Secure",
        '-H "Cookie: session={a}; csrf={b}"', '"Cookie": "session={a}"',
        "> cookie: _gh_sess={a}"])).format(a=a, b=b)
    return line, [n for n in (a, b) if n in line]


@PROPS
@given(paste_with(cookies()))
def test_property_cookies_never_survive(case):
    check(*case)


AUTHORIZATIONS = st.one_of(
    st.binary(min_size=12, max_size=40).map(lambda b: base64.b64encode(b).decode()).map(
        lambda s: (f"Authorization: Basic {s}", [s])),
    in_context(["> Authorization: Bearer {v}", "-H 'Authorization: Token {v}'",
                '"Authorization": "Bearer {v}"', "authorization: {v}",
                'Authorization: Digest username="bob", response="{v}"',
                "Proxy-Authorization: Bearer {v}"], entropic(ALNUM + "-._~+/")),
)


@PROPS
@given(paste_with(AUTHORIZATIONS))
def test_property_authorization_values_never_survive(case):
    check(*case)


@PROPS
@given(paste_with(fixed(string.ascii_uppercase + string.digits, 16).map(
    lambda s: (f"licence ACME-{s} attached", [f"ACME-{s}"]))))
def test_property_custom_patterns_never_survive(case):
    check(*case, redactor=Redactor(extra_patterns=[r"ACME-[A-Z0-9]{12,}"]))


@PROPS
@given(st.lists(st.one_of(NOISE, LOG_NOISE, keep_items().map(lambda k: k[0]),
                          st.sampled_from(KEEP)), max_size=8).map("\n".join))
def test_property_text_without_secrets_is_unchanged(text: str):
    assert redact(text).text == text


@PROPS
@given(st.lists(st.one_of(NOISE, st.sampled_from(
    ["password=", "token: ", "Authorization: Bearer ", "Cookie: ", '"secret": "', "://u:", "@",
     "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "eyJ", ".", "\n\n", '"', "'",
     "[REDACTED:token#1]", "--password ", "\\\""])), max_size=12).map("".join))
@example("SECRET:\"0'[REDACTED:_#0]AUTHORIZATION:0\"")  # a second pass redacted `0'`
def test_property_redaction_is_idempotent(text: str):
    r = Redactor()
    once = r.redact(text)
    count = r.count
    assert r.redact(once) == once
    assert r.count == count


# ------------------------------------------------------------------- findings ----
def _rebuilt(text: str, findings) -> str:
    """`text` with each finding's span replaced by its placeholder."""
    out, pos = [], 0
    for f in findings:
        assert f.start >= pos, "findings overlap or are out of order"
        out += [text[pos:f.start], f.placeholder]
        pos = f.end
    return "".join(out) + text[pos:]


def test_findings_say_kind_line_column_placeholder_and_never_the_value():
    text = "a\npassword=hunter2 x\n  token: \"abc123XYZ\"\n password=hunter2"
    result = redact(text, findings=True)
    assert [(f.kind, f.line, f.column, f.placeholder) for f in result.findings] == [
        ("password", 2, 10, "[REDACTED:password#1]"), ("token", 3, 11, "[REDACTED:token#1]"),
        ("password", 4, 11, "[REDACTED:password#1]")]
    assert [text[f.start:f.end] for f in result.findings] == ["hunter2", "abc123XYZ", "hunter2"]
    assert "hunter2" not in repr(result.findings)
    assert (result.count, result.kinds) == (3, {"password": 1, "token": 1})
    assert redact(text).findings is None  # only collected when asked for


def test_findings_of_later_passes_point_into_the_text_given():
    # the second pass redacts `0'`, uncovered by the first (see the idempotence example)
    text = "xx\nSECRET:\"0'[REDACTED:_#0]AUTHORIZATION:0\""
    result = redact(text, findings=True)
    assert result.count == len(result.findings) == 2
    assert _rebuilt(text, result.findings) == result.text


def test_redactor_result_counts_this_call_and_numbers_across_calls():
    r = Redactor()
    r.redact("password=hunter2")
    second = r.result("token=abc123XYZ password=hunter2")
    assert second.text == "token=[REDACTED:token#1] password=[REDACTED:password#1]"
    assert (second.count, second.kinds) == (2, {"token": 1, "password": 1})
    assert (r.count, r.kinds) == (3, {"password": 1, "token": 1})


@PROPS
@given(st.lists(st.one_of(NOISE, st.sampled_from(
    ["password=", "token: ", "Authorization: Bearer ", "Cookie: ", '"secret": "', "://u:", "@",
     "-----BEGIN PRIVATE KEY-----", "-----END PRIVATE KEY-----", "eyJ", ".", "\n\n", '"', "'",
     "[REDACTED:token#1]", "--password ", "\\\"", "hunter2", "xoxb-1234567890-AbCdEfGh"])),
    max_size=12).map("".join))
@example("SECRET:\"0'[REDACTED:_#0]AUTHORIZATION:0\"")
def test_property_findings_rebuild_the_redacted_text(text: str):
    result = redact(text, findings=True)
    assert result.findings is not None and len(result.findings) == result.count
    assert _rebuilt(text, result.findings) == result.text
    for f in result.findings:
        assert f.line == text.count("\n", 0, f.start) + 1
        assert f.column == f.start - (text.rfind("\n", 0, f.start) + 1) + 1

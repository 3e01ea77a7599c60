# ruff: noqa: E501  (pasted log lines are data: they keep their real length)
"""Recorded-style escalation threads, as `conversations.replies` returns them.

SCAI_THREAD: 24 messages about a ScaiVault outage: chat, pasted envelopes (compact,
pretty, inside log lines), `curl -v` output with a bearer token and a cookie, a JSON
log snippet with a password, a private key pasted by mistake, a JWT, a Slack token,
a shared log file, steps to reproduce, and the version and deployment in passing.
MAZE_THREAD: a shorter MazeVault thread that leaves deployment, licence key and
contact email unsaid, so the modal has something to ask.

SECRETS lists every secret pasted; none may appear in anything errcode produces.
"""

from __future__ import annotations

T0 = 1_777_000_000  # 2026-04-24T03:06:40Z: the thread's first message

BEARER = "sv_at_7Hq2LmX9pR4tK8wZ3nB6vC1dF5gJ0sA2"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJzdmMtY3JtIiwidGVuYW50IjoiYWNtZSJ9."
       "Qm9ndXNTaWduYXR1cmVGb3JUZXN0c09ubHkxMjM0NTY")
DB_PASSWORD = "Tr0ub4dor&3-horse"
COOKIE = "sv_session=5f2b9c0e7a1d4e3f8b6a2c9d0e1f3a4b"
SLACK_TOKEN = "xoxb-2048-4096-AbCdEfGhIjKlMnOpQrStUvWx"
API_KEY = "sk_live_51HxYzAbCdEfGh0123456789"
KEY_BODY = ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7bogusKeyMaterial"
            "ForTestsOnlyXy9")
PRIVATE_KEY = ("-----BEGIN PRIVATE KEY-----\n" + KEY_BODY + "\n"
               "aW5zZWN1cmVQcml2YXRlS2V5Qm9keUxpbmVUd28=\n-----END PRIVATE KEY-----")
SECRETS = (BEARER, JWT, DB_PASSWORD, COOKIE.split("=", 1)[1], SLACK_TOKEN, API_KEY, KEY_BODY,
           "aW5zZWN1cmVQcml2YXRlS2V5Qm9keUxpbmVUd28")

SCAI_CODES = ("internal_error", "rate_limited", "validation_error", "secret_not_found",
              "backend_timeout", "token_expired")
SCAI_REQUEST_IDS = ("req_7Kp2Qz9x", "req_9f8e7d6c", "req_3c4d5e6f", "req_a1b2c3d4",
                    "req_55aa77bb", "req_0ddba11", "req_feedf00d")
SCAI_FIELDS = ("ttl_seconds must be between 60 and 86400",)


def slack_escape(text: str) -> str:
    """What Slack does to a pasted message before anyone reads it through the API."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def message(i: int, user: str, text: str, *, files: list[dict] | None = None,
            thread_ts: str | None = None) -> dict:
    ts = f"{T0 + i * 60}.{i:06d}"
    out = {"type": "message", "user": user, "text": slack_escape(text), "ts": ts,
           "thread_ts": thread_ts or f"{T0}.000000"}
    if files:
        out["files"] = files
    return out


CURL_RATE_LIMITED = f"""here's the curl:
```
$ curl -v -H "Authorization: Bearer {BEARER}" https://scaivault.acme.internal/v1/secrets/crm/db
> GET /v1/secrets/crm/db HTTP/2
> Host: scaivault.acme.internal
> Authorization: Bearer {BEARER}
> Cookie: {COOKIE}
>
< HTTP/2 429
< retry-after: 45
< x-ratelimit-limit: 600
< x-ratelimit-remaining: 0
< x-request-id: req_9f8e7d6c
<
{{"error":{{"code":"rate_limited","message":"Too many requests","request_id":"req_9f8e7d6c"}}}}
```"""

LOG_SNIPPET = f"""logs from the crm worker (last hour):
```
{{"ts":"2026-04-24T03:01:12Z","level":"error","msg":"vault call failed","error":{{"code":"internal_error","message":"An unexpected error occurred","request_id":"req_7Kp2Qz9x"}}}}
{{"ts":"2026-04-24T03:01:40Z","level":"info","msg":"retrying once"}}
{{"ts":"2026-04-24T03:02:05Z","level":"error","msg":"connect db","dsn":"postgres://crm:{DB_PASSWORD}@db.acme.internal:5432/crm"}}
2026-04-24T03:02:09Z ERROR worker password={DB_PASSWORD} user=crm reconnect failed
2026-04-24T03:02:30Z WARN pool exhausted, 0 of 20 connections free
```"""

VALIDATION_ENVELOPE = """and the create call fails differently:
```
{
  "error": {
    "code": "validation_error",
    "message": "Request validation failed",
    "details": {"fields": ["ttl_seconds must be between 60 and 86400"]},
    "request_id": "req_3c4d5e6f"
  }
}
```"""

LOG_FILE = f"""2026-04-24T03:10:00Z ERROR sync {{"error":{{"code":"backend_timeout","message":"Backend did not respond in time","request_id":"req_55aa77bb"}}}}
2026-04-24T03:10:30Z ERROR sync api_key={API_KEY} retry 1 failed
2026-04-24T03:11:00Z ERROR sync {{"error":{{"code":"internal_error","message":"An unexpected error occurred","request_id":"req_0ddba11"}}}}
"""

SCAI_MESSAGES = [
    ("U_SUPPORT", "Escalating for Acme: their CRM sync keeps failing against ScaiVault "
                  "since ~03:00 UTC. Thread has everything I collected."),
    ("U_CUST", "Hi! Our sync job started failing at 03:01 UTC. Nothing changed on our side."),
    ("U_SUPPORT", "Can you paste the exact error you get?"),
    ("U_CUST", '{"error":{"code":"internal_error","message":"An unexpected error occurred",'
               '"request_id":"req_7Kp2Qz9x"}}'),
    ("U_SUPPORT", "Thanks. Did you retry it?"),
    ("U_CUST", "yes, once, then we hit this:"),
    ("U_CUST", CURL_RATE_LIMITED),
    ("U_SUPPORT", "Oops, please don't paste tokens here :sweat_smile: rotate that one."),
    ("U_CUST", "rotated. what version are you on? is this AKS or on-prem?"),
    ("U_CUST", "We run ScaiVault 2.8.3 on AKS, three replicas."),
    ("U_CUST", LOG_SNIPPET),
    ("U_SUPPORT", "The db password is in that log, please rotate it too."),
    ("U_CUST", VALIDATION_ENVELOPE),
    ("U_CUST", "and reading an old path gives secret_not_found for req_a1b2c3d4: "
               '{"error":{"code":"secret_not_found","message":"Secret not found",'
               '"request_id":"req_a1b2c3d4"}}'),
    ("U_CUST", f"our service account token (jwt) if it helps: {JWT}"),
    ("U_SUPPORT", "no need for that, it's redacted in the packet anyway."),
    ("U_CUST", f"the tls key we use for mTLS, in case it matters:\n```\n{PRIVATE_KEY}\n```"),
    ("U_SUPPORT", "Please never share private keys. Rotating is on you now :("),
    ("U_CUST", f"also our slack bot that posts alerts uses {SLACK_TOKEN} if relevant"),
    ("U_CUST", "Steps to reproduce:\n1. Start the CRM sync job (crm-sync --full)\n"
               "2. Wait for the first batch of 500 secrets\n"
               "3. After ~40 s every call returns internal_error, then rate_limited"),
    ("U_CUST", "attaching the sync log"),
    ("U_CUST", "one more from the token refresh: "
               '{"error":{"code":"token_expired","message":"Token expired",'
               '"request_id":"req_feedf00d"}}'),
    ("U_SUPPORT", "@channel heads up, escalating to ScaiVault now <!here>"),
    ("U_SUPPORT", "thanks everyone, packet coming."),
]

FILE_ID = "F0SYNCLOG1"


def scai_thread(channel: str = "C_ESC", file_url: str | None = None) -> list[dict]:
    """The ScaiVault thread; message 21 shares the sync log as a file at `file_url`."""
    out = []
    for i, (user, text) in enumerate(SCAI_MESSAGES):
        files = None
        if i == 20 and file_url:
            files = [{"id": FILE_ID, "name": "sync.log", "title": "sync.log",
                      "filetype": "text", "mimetype": "text/plain", "size": len(LOG_FILE),
                      "url_private_download": file_url}]
        out.append(message(i, user, text, files=files))
    out[0].pop("thread_ts")  # the parent: Slack sends thread_ts on replies only...
    out[0]["thread_ts"] = out[0]["ts"]  # ...and on the parent once it has replies
    out[0]["reply_count"] = len(out) - 1
    return out


MAZE_REQUEST_ID = "4f9c2a1e-7b3d-4c8e-9a6f-1d2e3c4b5a69"
MAZE_MESSAGES = [
    ("U_SUPPORT", "MazeVault: users can't save vault items since this morning."),
    ("U_CUST", "Every save returns this:\n"
               '{"error":"DATABASE_ERROR","message":"Database operation failed"}'),
    ("U_CUST", f"```\n< HTTP/1.1 500 Internal Server Error\n< X-Request-ID: {MAZE_REQUEST_ID}\n"
               '\n{"error":"DATABASE_ERROR","message":"Database operation failed"}\n```'),
    ("U_CUST", "we run 3.4.1"),
    ("U_CUST", '```\n{"time":"2026-04-24T08:00:01Z","level":"error","msg":"pq: too many '
               'connections for role mazevault"}\n```'),
    ("U_SUPPORT", "Steps to reproduce:\n1. Open any vault\n2. Edit an item and press Save"),
]


def maze_thread(channel: str = "C_MAZE") -> list[dict]:
    out = [message(i, user, text) for i, (user, text) in enumerate(MAZE_MESSAGES)]
    out[0]["thread_ts"] = out[0]["ts"]
    return out

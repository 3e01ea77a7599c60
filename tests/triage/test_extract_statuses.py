"""HTTP statuses read from exception texts, tracebacks and logs; other numbers left alone."""

from __future__ import annotations

import pytest

from bot.triage.engine import engine_for
from bot.triage.extract import extract
from bot.triage.http_facts import STATUS_VERBS, STATUS_WORDS


@pytest.mark.parametrize(("paste", "status"), [
    ("requests.exceptions.HTTPError: 429 Client Error: Too Many Requests for url: "
     "https://scaivault.acme.example/v1/secrets/ml/token", 429),
    ("urllib.error.HTTPError: HTTP Error 429: Too Many Requests", 429),
    ("aiohttp.client_exceptions.ClientResponseError: 429, message='Too Many Requests', "
     "url=URL('https://api.example/v1')", 429),
    ("httpx.HTTPStatusError: Client error '404 Not Found' for url 'https://x/y'", 404),
    ("status=503 path=/v1/secrets", 503),
    ("status: 503", 503),
    ('{"level":"warn","msg":"write failed","status":503}', 503),
    ('{"span":"get_secret","http.status_code":429,"duration_ms":38}', 429),
    ('Error: StatusCode: 404, Code: "version_not_found"', 404),
    ("  statusCode: 429,\n  code: 'rate_limited'", 429),
    ("AxiosError: Request failed with status code 502", 502),
    ("< HTTP/1.1 403 Forbidden", 403),
    ("proxy said HTTP/1.1 407 Proxy Authentication Required", 407),
    ('10.0.0.1 - - [11/Feb/2026:11:42:55 +0000] "GET /api/v1/certificates HTTP/1.1" 429 61 "-"',
     429),
    ("scaivault: 403 permission_denied: No policy rule permits 'read'", 403),
    ("PUT apps/a/x -> 429 rate_limited (req_b01)", 429),
    ("WARN c.a.vault.RetryingClient - 429 TOO_MANY_REQUESTS from scaivault", 429),
    ("our calls return `503 feature_disabled` since the deploy", 503),
    ("Response status code does not indicate success: 422 (Unprocessable Entity).", 422),
    ("GET https://vault.example.com/api/v1/projects 401 (Unauthorized)", 401),
    ("the job got 502 from the gateway", 502),
    ("it gets a 403 when the cron runs", 403),
    ("writes fail with 409", 409),
    ("getting 409s from scaivault on PUT", 409),
    ("the CI runner gets 403 from the vault", 403),
    ("the saved cursor now gets a\n400 \u2014 cursor expired maybe?", 400),
    ("Error: request failed (HTTP 409)", 409),
    ("scaivault.errors.APIError: 409 policy_in_use: Policy has active bindings", 409),
    ("com.scaiwave.scaivault.client.ApiException: HTTP 403 insufficient_scope", 403),
    ("Error code: 429 - {'error': {'message': 'You exceeded your quota'}}", 429),
    ("ERROR: 400", 400),
    ("vault: Code: 403. Errors:", 403),
    (">>> r.status_code\n429\n>>> r.headers", 429),
    ("PS> $r.StatusCode\n429", 429),
    ("the CA we reference doesn't exist (404), sadly", 404),
    ("my token went stale (401, re-login fixed it)", 401),
    ("recreating it gives 409 saying it exists", 409),
    ("the API gives me a 409 when I save", 409),
    ("reads sit there ~30s and then 504", 504),
    ("the Azure-backed paths just hang and end in 504", 504),
    ("the API answers 404 to the inventory job", 404),
    ("the export comes back\n401 telling me to finish the second factor", 401),
    ("the import got 400 about the date format", 400),
    ("429", 429),
    (" 503\n", 503),
    ("the vault gave an unexpected 500 on the write", 500),
    ("the retry? it is a 404 too", 404),
    ("which was a 429 again", 429),
    ("- webhook.wh_31: 404, gone since friday", 404),
    ("job B: 401 - nothing in the header", 401),
    ("lookup of role etl -> 404 no such role", 404),
    ("now comes 400 that the duration cannot be parsed", 400),
])
def test_status_is_read_from_what_people_paste(paste, status):
    assert extract(paste).http_statuses == (status,)


@pytest.mark.parametrize("paste", [
    'File "/app/client.py", line 403, in request',
    "at com.acme.Client.call(Client.java:503)",
    "listening on port 443, upstream port 500",
    "* Connected to vault.example.com (10.20.4.11) port 443 (#0)",
    "request took 503ms",
    "latency 429 ms",
    "upgraded to version 4.0.3 then 5.0.0",
    "mazevault v1.429.0",
    "id=404 user=500",
    "2026-05-01T10:04:29Z ok 12:04:05",
    "processed with 500 items",
    "first a dry run, then 500 more rows",
    "got 404 rows back from the query",
    "ERROR: 42501: permission denied for table secrets",
    "errors: 500",
    "status 1429",
    "status 4290",
    "the import skipped some rows (404 rows of 9000)",
    "p99 went up (500ms at peak)",
    "see issue 404 and PR 503",
    "line 403 permission_denied",
    "exit code 1",
    "/v1/objects/429/versions/503",
    "got a total 500 items",
    "max_connections: 500, pool_size: 404, ok",
    "that is 500 requests",
])
def test_numbers_that_are_not_statuses(paste):
    assert extract(paste).http_statuses == ()


def test_statuses_keep_the_order_they_appear_in():
    paste = ("12:01:07 PUT apps/a/x -> 429 rate_limited\n"
             "12:01:22 PUT apps/a/y -> 503 service_unavailable\n"
             "12:01:40 status=404\n< HTTP/2 502\n12:02:00 again 429 Too Many Requests")
    assert extract(paste).http_statuses == (429, 503, 404, 502)


def test_status_line_gives_any_status_words_give_only_errors():
    assert extract("HTTP/1.1 204 No Content").http_statuses == (204,)
    assert extract("status=204").http_statuses == ()


@pytest.mark.parametrize("word", STATUS_WORDS)
def test_every_status_word_introduces_a_status(word):
    assert extract(f"the call failed, {word}: 418").http_statuses == (418,)


@pytest.mark.parametrize("verb", STATUS_VERBS)
def test_every_status_verb_introduces_a_status_but_not_a_count(verb):
    assert extract(f"the call {verb} 418 again").http_statuses == (418,)
    assert extract(f"the call {verb} 418 widgets").http_statuses == ()


def test_status_words_are_whole_words():
    for word in ("barcode", "upstream_status", "workstatus", "httpstatuses"):
        assert extract(f"{word}: 500").http_statuses == (), word


@pytest.mark.parametrize(("paste", "statuses"), [
    ("scaivault 429s again", (429,)),
    ("the api has been 429ing us all morning", (429,)),
    ("writes get 503'd for a minute", (503,)),
    ("sleep 500s then retry", ()),
    ("timeout 404s", ()),
    ("release v1.429s", ()),
])
def test_a_status_used_as_a_word_is_a_status(paste, statuses):
    assert extract(paste).http_statuses == statuses


def test_a_status_after_thousands_of_bare_numbers_is_found():
    """Past 1,000 numbers that are no status, the rest is read in one reversed scan."""
    assert extract("429 " * 5_000 + "then status=503").http_statuses == (503,)
    assert extract("429 " * 5_000 + "status 429").http_statuses == (429,)


@pytest.mark.parametrize(("paste", "statuses"), [
    ("scaivault 401 on every call from the payments service since 07:00", (401,)),
    ("ScaiVault 503 again", (503,)),
    ("MazeVault's 409 on the second run", (409,)),
    ("WARNING mv_sync: 429 from vault.example.com, Retry-After: 120", (429,)),
    ("we see 500s from the mazevault API", (500,)),
    ("scaivault 401 roughly one hour after the service starts", (401,)),
    ("can't delete our old intermediate in scaivault, 409 \u2014 it still has certs", (409,)),
    ("mazevault: 403 on every delete", (403,)),
    ("`404` from the mazevault api on a GET", (404,)),
    ("we run ScaiVault, 2.8.3 on AKS", ()),
    ("we run ScaiVault 2.8.3 on AKS", ()),
    ("scaivault 4.0.1 upgrade notes", ()),
    ("moved 500 from staging to prod", ()),  # a count, and not from a product
    ("scaivault401", ()),  # not a word of its own
])
def test_a_status_beside_the_products_name_is_a_status(paste, statuses):
    """What a support engineer writes with no status word: the product's name, then the
    number ("scaivault 401 on every call"), or the number from the product's host."""
    engine = engine_for()
    assert engine.triage(paste).evidence.http_statuses == statuses
    assert extract(paste).http_statuses in ((), statuses)  # the catalog teaches the names

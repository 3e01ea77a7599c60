"""The confidence rules of the third session of issue 10: other software's respelt codes,
meaning matches on nothing but a status number, listed items on one line, a code's words
less one, a misspelling in the other product's style, and "log" the file vs "log in"."""

from __future__ import annotations

import pytest

from bot.triage.confidence import ruled_out
from bot.triage.engine import Triage, same_status_entries, status_peers
from bot.triage.extract import clauses, extract
from bot.triage.match import _ngram_norms, _not_repeated
from bot.triage.negation import negated_terms
from bot.triage.objects import missing_terms, named_among, with_route_objects
from bot.triage.product import foreign_tool
from bot.triage.render import triage_text
from bot.triage.textindex import terms
from bot.triage.vocabulary import expanded_terms
from tests.triage import confident_keys


@pytest.mark.parametrize("paste", [
    "docker: Got permission denied while trying to connect to the Docker daemon socket at "
    "unix:///var/run/docker.sock: connect: permission denied.",
    "A client error (AccessDenied) occurred when calling the GetSessionToken operation: "
    "MultiFactorAuthentication failed with invalid MFA one time pass code.",
    # HashiCorp's API clients (Consul, Nomad) and Go's lib/pq sign their errors so
    "backup job fails: Failed to backup ACL tokens: Unexpected response code: 403 "
    "(Permission denied)",
    "sync from the read replica logs this every run: pq: canceling statement due to "
    "conflict with recovery",
    "quick q: github says my personal access token expires in 7 days, do I rotate it?",
    "Google.GoogleApiRequestException: Google.Apis.Requests.RequestError\nDaily Limit "
    "Exceeded [403]\n ---> System.Net.WebException: The remote server returned an error: "
    "(403) Forbidden.",
])
def test_a_code_respelt_in_other_software_output_is_its_own(engine, paste):
    assert foreign_tool(paste)
    assert confident_keys(engine, paste) == []


def test_a_meaning_match_on_only_the_status_number_is_a_status_match(engine):
    paste = "partner-admin call for tenant t_8812 -> 404. that customer was decommissioned"
    found = engine.matcher.candidates(extract(paste))
    by_key = {m.entry.key: m for m in found.matches}
    only_status = by_key["scaivault:secret_not_found"]
    assert only_status.signals.status_words
    assert ruled_out(only_status, found.context)  # one of many 404s: listed, not picked
    assert not by_key["scaivault:tenant_not_found"].signals.status_words  # "tenant"


def test_listed_items_on_one_line_are_sentences_of_their_own():
    ev = extract("today: (1) nobody can log in to MazeVault, 403 on the login form; "
                 "(2) their ScaiVault token gets 403 insufficient_scope")
    assert len(ev.items) == 3 and ev.items[1].startswith("(1) nobody")
    split = extract("the login form answers 403 for some users, and separately the HSM page "
                    "says it is not part of our tier.")
    assert split.items[-1].startswith("and separately the HSM page")
    assert extract("one sentence, also fine").items == ()


def test_listed_item_keeps_its_answer_beside_a_code_on_its_line(engine):
    paste = ("ok so today's fun: (1) nobody at the customer can log in to MazeVault, the login "
             "form submit returns 403 Forbidden; (2) their ScaiVault deploy token gets 403 "
             "insufficient_scope on rotate")
    found = engine.matcher.candidates(extract(paste))
    login = next(m for m in found.matches if m.entry.key == "mazevault:login-fails-with-403")
    assert login.signals.clause and not login.signals.code_in_sentence


def test_a_codes_words_less_one_are_not_a_misspelling_of_it(engine):
    paste = 'msg="The specified default backup location named \\"default\\" was not found"'
    assert "scaivault:ca_not_found" not in confident_keys(engine, paste)


def test_a_misspelling_in_one_products_style_is_not_the_others(engine):
    assert confident_keys(engine, "VERSON_CONFLICT") == ["mazevault:VERSION_CONFLICT"]


@pytest.mark.parametrize(("sentence", "has_log"), [
    ("the backend logs show a goroutine panic", False),
    ("I have to log back in every hour", True),
    ("nobody can log in since the upgrade", True),
])
def test_log_the_file_is_not_log_in(sentence, has_log):
    assert ("log" in expanded_terms(sentence)) is has_log


def test_a_paste_that_says_it_holds_several_problems_answers_each_clause(engine):
    paste = ("onboarding script against scaivault fails twice: the tenant id we pass was never "
             "created (404), and the federation backend \"aws-eu\" it references doesn't "
             "exist either (404)")
    assert len(extract(paste).items) == 2
    assert set(confident_keys(engine, paste)) == {"scaivault:tenant_not_found",
                                        "scaivault:federation_backend_not_found"}
    one = ("the tenant id we pass was never created (404), and the federation backend it "
           "references doesn't exist either")
    assert extract(one).items == ()  # no count of problems: one sentence, one answer


def test_a_run_of_words_through_a_contraction_is_not_a_code(engine):
    found = engine.matcher.candidates(extract("the certificate serial can't be found"))
    assert not [m for m in found.matches if m.kind == "fuzzy"]


def test_why_lines_quote_code_words_as_written(engine):
    result = engine.triage("mazevault: I get PERMISSION_DENIED when deleting a cert")
    why = " ".join(result.confident[0].evidence)
    assert "DENIED" in why and "deni," not in why and not why.endswith("deni")


def test_product_names_are_found_as_a_case_blind_word_pattern_finds_them(engine):
    """Names are looked for on the lowercased text, each word boundary checked after the
    name's first letter; what they find is what `(?i)\\b(?:names)\\b` finds."""
    import random
    import re

    products = engine.matcher.products
    spec = {p.catalog: re.compile(r"(?i)\b(?:" + "|".join(
        re.escape(n).replace(r"\ ", r"[\s_-]?")
        for n in sorted({p.name, p.catalog, *p.aliases}, key=lambda n: (-len(n), n)))
        + r")\b") for p in engine.catalog.products.values()}
    rng = random.Random(11)
    pieces = ["MazeVault", "maze vault", "Maze-Vault", "maze_vault", "SCAIVAULT", "scai vault",
              "x", "_", "-", " ", ".", "/", "9", "vault.example.com", "scaivault.example.com",
              "my", "/api/v1/", "é"]
    for _ in range(3_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 5)))
        reasons = products.score(extract(text), None)[1]
        named = {c for c, pattern in spec.items() if pattern.search(text)}
        assert {c for c, rs in reasons.items()
                if any(r.startswith("names the product") for r in rs)} == named, text
        assert products.named_in(text) == (next(iter(named)) if len(named) == 1 else ""), text


def test_a_guide_topic_written_as_words_is_its_title_not_a_respelt_code(engine):
    topic = engine.triage("login fails with 403").confident[0]
    assert topic.entry.kind != "error"
    assert "the paste says its title: login fails with 403" in topic.evidence
    code = engine.triage("mazevault: rate limited").confident[0]
    assert "`rate limited` is `RATE_LIMITED` with different case or separators" in code.evidence


def test_a_status_is_not_given_twice_as_the_reason(engine):
    found = engine.triage("HTTP 429 from the mazevault api, Retry-After: 120").confident[0]
    assert found.entry.key == "mazevault:RATE_LIMITED"
    assert [r for r in found.evidence if "429" in r] == ["HTTP 429 in the paste matches"]


def test_the_answers_to_a_listed_paste_come_in_its_order(engine):
    paste = ("two problems in scaivault: the tenant id was never created (404), and the "
             "federation backend doesn't exist either (404)")
    assert confident_keys(engine, paste) == ["scaivault:tenant_not_found",
                                   "scaivault:federation_backend_not_found"]


def test_two_error_statuses_make_a_paste_of_several_problems():
    two = extract("cleanup: deleting webhook wh_123 returns 404 (already removed), and then "
                  "recreating a webhook named slack-alerts returns 409 since one still exists")
    assert len(two.items) == 2 and two.items[1].startswith("recreating a webhook")
    one = extract("deleting webhook wh_123 returns 404, and then the retry returns 404 too")
    assert one.items == ()


def test_paths_are_the_runs_of_non_space_holding_a_slash_between_words():
    """`_PATHS` is `\\S*\\w/\\w\\S*` tried only where a run starts (the same spans)."""
    import random
    import re

    from bot.triage.match import _PATHS

    spec = re.compile(r"\S*\w/\w\S*")
    rng = random.Random(9)
    pieces = ["a", "/", " ", "\n", "b9", "_", ".", "//", "x/y", "é", "-", "\t", "~"]
    for _ in range(20_000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 14)))
        assert _PATHS.sub(" ", text) == spec.sub(" ", text), repr(text)


@pytest.mark.parametrize("paste", [
    "ERROR: (gcloud.builds.submit) PERMISSION_DENIED: The caller does not have permission",
    "Error: An API error occurred: token_revoked\n    at platformErrorFromResult "
    "(/app/node_modules/@slack/web-api/dist/errors.js:62:33)",
    '{"error": {"code": 403, "message": "Request had insufficient authentication scopes.", '
    '"status": "PERMISSION_DENIED"}, "www-authenticate": "Bearer error=\\"insufficient_scope'
    '\\", scope=\\"https://www.googleapis.com/auth/contacts\\""}',
    'Request to slack returned an error 429, the response is:\n'
    '{"retry_after":1,"ok":false,"error":"rate_limited"}',  # Slack's reply shape, not ours
])
def test_a_code_other_software_writes_itself_is_its_own(engine, paste):
    """gRPC's, OAuth's and Slack's own codes, in their own output naming none of our
    products: one of our catalogs spells the same code, but the paste is not about it."""
    assert foreign_tool(paste)
    assert confident_keys(engine, paste) == []


@pytest.mark.parametrize(("paste", "key"), [
    ("MazeVault: gcloud build step got PERMISSION_DENIED from vault.example.com",
     "mazevault:PERMISSION_DENIED"),  # the product named: ours after all
    ("terraform apply fails with policy_not_found on the binding resource",
     "scaivault:policy_not_found"),  # no one else's code
    ('at Object.<anonymous> (/app/node_modules/sv-client/index.js:12:9)\n'
     '{"error":{"code":"token_revoked","message":"Token has been revoked",'
     '"request_id":"req_8c1d2e3f"}}', "scaivault:token_revoked"),  # its envelope and ids
])
def test_our_code_in_other_softwares_output_stays_ours_when_the_paste_says_so(engine, paste,
                                                                           key):
    assert foreign_tool(paste)
    assert key in confident_keys(engine, paste)


def test_a_status_used_as_a_word_is_that_status_to_the_meaning_index_too(engine):
    """"429s" is read as status 429 by extraction; the meaning index read it as an
    unknown word, so one generic word ("api") outweighed the product's one 429."""
    from bot.triage.textindex import stem

    assert [stem(w) for w in ("429s", "503ing", "500ed", "4290s", "429x")] == [
        "429", "503", "500", "4290", "429x"]  # a plain plural stays one
    assert confident_keys(engine, "mazevault api keeps giving 429s") == ["mazevault:RATE_LIMITED"]


def test_a_different_status_or_a_sentence_after_a_quote_starts_another_problem(engine):
    paste = ("this morning scaivault was throttling us (429, Retry-After 30, fine we waited), "
             "but since noon it's a different 429: the tenant has hit its hard cap and "
             "waiting doesn't help at all")
    assert len(extract(paste).items) == 2
    assert confident_keys(engine, paste) == ["scaivault:rate_limited", "scaivault:quota_exceeded"]
    quoted = extract('two problems: the agent says "bootstrap token usage limit reached". '
                     "And the backend log is full of DATABASE_ERROR")
    assert quoted.items[-1].startswith("And the backend log")


def test_can_not_is_failure_language(engine):
    paste = ("the mazevault agent on the new server can not register, the bootstrap token "
             "is too old")
    assert confident_keys(engine, paste) == ["mazevault:agent-registration-fails"]


def test_a_listed_item_is_judged_by_the_status_it_writes(engine):
    paste = ("cleanup script against scaivault: deleting webhook wh_123 returns 404, and then "
             "recreating a webhook named slack-alerts returns 409 since one still exists")
    ev = extract(paste)
    assert len(ev.items) == 2
    assert engine.matcher._item_statuses(ev.items[0], ev) == {404}
    assert engine.matcher._item_statuses(ev.items[1], ev) == {409}
    one = extract("deleting webhook wh_123 returns 404")
    assert engine.matcher._item_statuses(one.prose[0], one) == set()


def test_a_run_of_words_never_crosses_json_or_log_syntax():
    runs = [text for text, _ in _ngram_norms(
        '{"error":{"code":"internal_error","message":"An unexpected error occurred"}} '
        "then status=rate limited (csrf invalid)")]
    assert "unexpected error occurred" in runs and "csrf invalid" in runs
    assert "rate limited" in runs
    assert not any(r.startswith(("code internal", "error code", "status rate")) for r in runs)


def test_an_http_reason_phrase_is_a_status_not_a_respelt_code(engine):
    paste = ('Invoke-RestMethod: {"error":{"code":"feature_disabled","message":"PKI is disabled '
             'on this deployment","request_id":"req_c0Ffee11"}}\n'
             "PS> $_.Exception.Response.StatusCode\nServiceUnavailable")
    assert confident_keys(engine, paste) == ["scaivault:feature_disabled"]
    assert confident_keys(engine, "scaivault answers 503 service_unavailable") == [
        "scaivault:service_unavailable"]  # the code as ScaiVault writes it


def test_a_status_and_its_reason_phrase_list_the_codes_of_that_status(engine):
    result = engine.triage("our terraform job gets 403 Forbidden from the MazeVault REST API")
    assert result.confident == ()  # not "Login fails with 403": nobody logged in
    assert [e.key for e in result.same_status] == [
        "mazevault:PERMISSION_DENIED", "mazevault:CSRF_INVALID", "mazevault:LICENSE_FEATURE",
        "mazevault:IP_BLOCKED"]  # the error codes, not the guide's topic
    assert confident_keys(engine, "the mazevault login page answers 403 Forbidden") == [
        "mazevault:login-fails-with-403"]
    paste = "scaivault answers 503 Service Unavailable since the upgrade"
    assert confident_keys(engine, paste) == [
        "scaivault:service_unavailable"]  # ScaiVault's own name for its 503


@pytest.mark.parametrize(("paste", "key"), [
    ("issuing from CA `intermediate-2025` in scaivault gave 404", "scaivault:ca_not_found"),
    ("scaivault 400 creating a policy", "scaivault:invalid_policy"),
])
def test_a_status_list_narrows_to_the_one_entry_whose_object_the_paste_names(
        engine, paste, key):
    ev = engine.evidence(paste)
    assert [e.key for e in same_status_entries(engine.catalog, ev, "scaivault")] == [key]
    listed = Triage(query=paste, evidence=ev, findings=(), product="scaivault",
                    same_status=same_status_entries(engine.catalog, ev, "scaivault"),
                    status_documented=len(status_peers(engine.catalog, ev, "scaivault")))
    assert listed.status_documented > 1
    assert (f"is documented for {listed.status_documented} ScaiVault errors; what the paste "
            "names fits this one:") in triage_text(listed, engine.catalog.products)
    result = engine.triage(paste)  # the meaning match may even be sure of it by itself
    assert [f.entry.key for f in result.confident] == [key] or (
        [e.key for e in result.same_status] == [key])


@pytest.mark.parametrize(("said", "named"), [
    ("rotation policy rp_88", ["scaivault:rotation_policy_not_found"]),  # over "policy"
    ("the policy ci-readers", ["scaivault:policy_not_found"]),
    ("every call", []),  # no object named: the whole list
    ("the webhook and the subscription", []),  # two named: the whole list
    # ... unless the paste says which of them is missing
    ("the webhook of subscription sub_4 -> 404, no such subscription",
     ["scaivault:subscription_not_found"]),
    ("attaching webhook wh_2 to the subscription: the webhook doesn't exist",
     ["scaivault:webhook_not_found"]),
])
def test_the_entry_named_among_a_statuss_peers(engine, said, named):
    peers = tuple(e for e in engine.catalog.entries
                  if e.catalog == "scaivault" and e.http_status == 404 and e.kind == "error")
    assert len(peers) > 10
    words = frozenset(terms(said))
    found = named_among(peers, words, missing_terms(said) & words)
    assert [e.key for e in found] == named


def test_a_match_on_its_status_says_which_of_its_words_the_paste_has(engine):
    found = engine.triage("reading CA `intermediate-2025` in scaivault gave 404")
    ca = next(f for f in found.findings if f.entry.key == "scaivault:ca_not_found")
    assert ca.evidence[:2] == ("words match it: CA", "HTTP 404 in the paste matches")


def test_why_lines_say_a_word_once():
    assert _not_repeated(["Too many requests", "many", "requests", "rate", "rate"]) == [
        "Too many requests", "rate"]
    assert _not_repeated(["token", "expired"]) == ["token", "expired"]


def test_a_status_list_is_not_narrowed_by_a_word_the_paste_rules_out(engine):
    said = ("scaivault 401 on our cached token. exp is 6 hours in the future, so it's not "
            "an expiry thing")
    ev = engine.evidence(said)
    listed = [e.key for e in same_status_entries(engine.catalog, ev, "scaivault")]
    assert "scaivault:token_expired" in listed and len(listed) > 1
    assert [e.key for e in engine.triage(said).same_status] == listed
    named = engine.evidence("scaivault 401 on our cached token, an expiry thing")
    assert [e.key for e in same_status_entries(engine.catalog, named, "scaivault")] == [
        "scaivault:token_expired"]


def test_a_listed_item_without_the_code_is_its_own_sentence(engine):
    paste = ("two mazevault problems today: the cert import for shop.example.com gets rejected "
             "(the key modulus does not match the cert), and separately the reports page "
             "throws INTERNAL_ERROR 500 every time I open it")
    assert confident_keys(engine, paste) == ["mazevault:INTERNAL_ERROR",
                                   "mazevault:certificate-import-fails"]


def test_why_lines_quote_the_words_in_the_pastes_order(engine):
    found = engine.triage('{"error":{"code":"rate_limited","message":"Too many requests"}}')
    assert "words match its title: rate, limited, too many requests" in found.confident[0].evidence


def test_a_listed_item_with_its_status_is_answered_by_the_object_it_names(engine):
    paste = ("two things broke in scaivault overnight: looking up the CA `corp-root-7` gave "
             "404 (we think it was deleted), and then the identity svc-build is gone too, "
             "404 again")
    result = engine.triage(paste)
    assert confident_keys(engine, paste) == ["scaivault:ca_not_found",
                                             "scaivault:identity_not_found"]
    ca = result.confident[0]
    assert "HTTP 404 and its object (CA) in one part of the paste" in ca.evidence


def test_a_statuss_reason_phrase_names_no_object(engine):
    peers = tuple(e for e in engine.catalog.entries
                  if e.catalog == "scaivault" and e.http_status == 409 and e.kind == "error")
    # "conflict" is every 409's reason: a name said is `name_conflict`'s object.
    assert [e.key for e in named_among(peers, frozenset(terms("one with that name exists")))
            ] == ["scaivault:name_conflict"]


def test_an_item_that_writes_its_status_is_not_answered_with_another_statuss_error(engine):
    paste = ("scaivault policies are a mess: 1) updating policy ci-writers -> 404, it is not "
             "there anymore 2) recreating it gives a 400, it won't take the rules I sent")
    keys = confident_keys(engine, paste)
    assert "scaivault:secret_exists" not in keys  # a 409: the item says 400
    assert keys[0] == "scaivault:policy_not_found"


def test_recreating_something_else_than_a_secret_is_not_a_soft_deleted_secret(engine):
    assert "secret" not in expanded_terms("recreating the webhook slack-alerts")
    assert confident_keys(engine, "scaivault: recreating secrets/ci/npm-token, deleted "
                          "yesterday, returns 409") == ["scaivault:secret_exists"]


def test_a_number_the_paste_does_not_say_is_a_status_names_no_error(engine):
    paste = "mazevault ticket 401: the nightly export fails"
    assert engine.evidence(paste).http_statuses == ()
    assert confident_keys(engine, paste) == []  # not AUTH_REQUIRED for sharing "401"


def test_after_and_before_are_no_words_of_a_meaning(engine):
    # "retry after" is the rate limit's phrase; "after" alone is everybody's word
    assert "after" not in terms("retried once after a backoff, before lunch")
    paste = "the scaivault api gave an unexpected 500, we retried once after a backoff"
    assert "scaivault:rate_limited" not in confident_keys(engine, paste)


def test_a_pastes_clauses_are_its_sentences_and_lines():
    assert clauses("a -> 404 x_y. then it's a 404, and the rest\nnext line") == [
        "a -> 404 x_y.", "then it's a 404, and", "the rest", "next line"]
    assert clauses("GET /a -> 404, DELETE /b -> 409, get it?") == [
        "GET /a -> 404,", "DELETE /b -> 409, get it?"]


def test_curl_verbose_notes_are_a_transcript_not_a_list():
    paste = ("$ curl -v https://scaivault.example.com/v1/secrets/a\n* Trying 10.0.0.1:443...\n"
             "* Connected to scaivault.example.com\n> GET /v1/secrets/a HTTP/2\n"
             "> authorization: Bearer xyz\n< HTTP/2 404\n"
             '{"error":{"code":"secret_not_found","message":"Secret not found"}}')
    assert extract(paste).items == ()
    # Without the transcript's request and response lines, "* " lines are a list.
    assert len(extract("two problems:\n* the CA is gone\n* the token expired").items) == 3


# Pastes that hold several errors, each answered in order (rows of the answer table below).
SEVERAL_ERRORS = [
    pytest.param("two problems with scaivault federation today:\n"
                 "1) backend `dc2` -> 404 federation_backend_not_found\n"
                 "2) reads through `dc1` hang for half a minute and then 504\n",
                 ["scaivault:federation_backend_not_found", "scaivault:backend_timeout"],
                 id="an item's status one entry documents is that entry"),
    pytest.param("scaivault events cleanup: deleting subscription sub_77 returns "
                 "subscription_not_found, and deleting its webhook wh_9 is a 404 too (webhook "
                 "not found)",
                 ["scaivault:subscription_not_found", "scaivault:webhook_not_found"],
                 id="a long code written out as words names its error"),
    pytest.param("provisioning a customer on scaivault:\n"
                 "- GET tenant `acme` -> 404 tenant_not_found\n"
                 "- binding the policy to identity `svc-ingest` -> 404, identity not found\n",
                 ["scaivault:tenant_not_found", "scaivault:identity_not_found"],
                 id="the item writing a code's words is answered by it alone"),
    pytest.param("retiring policy `ci-deploy` in scaivault: DELETE gives policy_in_use. so I "
                 "removed the binding first with the id from our tfstate and that comes back "
                 "404, the binding doesn't exist. chicken and egg?",
                 ["scaivault:policy_in_use", "scaivault:binding_not_found"],
                 id="a status told in passing beside a written code"),
    pytest.param("scaivault dynamic creds for engine `pg` -> 404 engine_not_found. with the new "
                 "mount name it's a 404 for the role `etl` instead",
                 ["scaivault:engine_not_found", "scaivault:role_not_found"],
                 id="the written code's status again, for another object"),
    pytest.param("scaivault GET secrets/app/x -> 404 secret_not_found. the retry is a 404 too",
                 ["scaivault:secret_not_found"],
                 id="the written code's status again is that code"),
    pytest.param("scaivault after the restore: reading trust anchor ta-7 -> 404, "
                 "DELETE lease ls_81 -> 404 as well",
                 ["scaivault:trust_anchor_not_found", "scaivault:lease_not_found"],
                 id="two status clauses, no code: each names its own object"),
    pytest.param("scaivault: granting the policy to identity svc-b -> 404 no such identity. "
                 "and reads via engine `kv2` -> 404, that engine isn't mounted",
                 ["scaivault:identity_not_found", "scaivault:engine_not_found"],
                 id="of two objects in a clause, the one said missing"),
    pytest.param("scaivault teardown: GET rotation policy rp_77 -> 404, DELETE webhook wh_4 -> "
                 "404. both removed already by someone",
                 ["scaivault:rotation_policy_not_found", "scaivault:webhook_not_found"],
                 id="a line whose clauses tell their errors tells none of its own"),
]


@pytest.mark.parametrize("paste", [
    # another family's nested envelope: keys of its own (a payment API's `doc_url`, `param`)
    '{"error": {"code": "card_declined", "doc_url": "https://pay.example/docs/card-declined",'
    ' "message": "Your card was declined.", "param": "card", "type": "invalid_request_error"}}',
    # ... or a code spelt no product's way and documented by none
    '{"error": {"code": "ResourceGroupBeingDeleted", "message": "The resource group is being '
    'deleted. Cannot perform the operation."}}',
])
def test_a_nested_envelope_of_other_software_is_no_product_evidence(engine, paste):
    result = engine.triage(paste)
    assert result.product is None
    assert [f.entry.key for f in result.confident] == []


@pytest.mark.parametrize(("paste", "status"), [
    ("mazevault api gives 429 during the nightly sync", 429),
    ("scaivault returns 504 reading anything on the federated backend", 504),
])
def test_a_status_before_what_was_being_done_is_a_status(engine, paste, status):
    assert engine.evidence(paste).http_statuses == (status,)


def test_a_clock_range_said_with_between_is_a_time_window():
    assert "window" in expanded_terms("refused only between 22:00 and 05:30")
    assert "window" not in expanded_terms("between 2 and 5 retries")


def test_the_line_that_opens_a_list_names_no_error_of_its_own(engine):
    paste = ("scaivault summary for the 09:00-09:30 window:\n"
             "1. ~20 writes got 503 while the primary failed over, fine on retry\n"
             "2. lease ls_19 -> 404, that lease doesn't exist any more\n"
             "3. two jobs wrote apps/api/config at the same moment, one got 409\n")
    keys = confident_keys(engine, paste)
    assert "scaivault:lease_not_found" in keys
    assert "scaivault:time_window_violation" not in keys  # the report's window, not a rule's


def test_rather_than_and_instead_of_rule_out_what_follows():
    assert {"rate", "limit"} <= negated_terms("a hard cap for the tenant rather than a throttle")
    assert "limit" in negated_terms("it is the quota instead of the rate limit")


def test_isnt_rules_out_a_thing_named_not_a_property_said_missing():
    assert "limit" in negated_terms("it wasn't a rate limit after all")
    assert "mfa" not in negated_terms("the bot's token isn't MFA-backed")
    assert "format" not in negated_terms("the date isn't in the format it expects")
    assert "enabl" not in negated_terms("for us it's not enabled on the tenant")


def test_a_denial_ends_with_its_sentence():
    # "it's not 403." denies the status, not the project of the next sentence
    assert "project" not in negated_terms("it's not 403. the project exists")


@pytest.mark.parametrize("paste", ["scaivault keeps saying 429 on every write",
                                   "support said 429, the vault says nothing else"])
def test_a_status_someone_keeps_seeing_is_a_status(engine, paste):
    assert engine.evidence(paste).http_statuses == (429,)


def test_two_sites_are_where_sync_happens_not_a_conflict_by_themselves():
    assert "conflict" not in expanded_terms("enabling sync between our two datacenters")
    assert "conflict" in expanded_terms("after the split-brain the sites hold different values")
    assert "license" in expanded_terms("our subscription level doesn't include it")


def test_one_why_line_per_kind_of_phrase_matched(engine):
    paste = ('{"error":{"code":"secret_not_found","message":"Secret \'apps/x\' not found"}}\n'
             "the secret apps/x is not found since the cleanup")
    finding = engine.triage(paste).confident[0]
    kinds = [r.split(":", 1)[0] for r in finding.evidence if r.startswith("words match")]
    assert kinds and len(kinds) == len(set(kinds))


def test_how_people_say_it_is_matched_and_named_as_such(engine):
    paste = "mazevault keeps refusing the form submit from a stale tab, 403"
    found = engine.triage(paste).findings[0]
    assert found.entry.key == "mazevault:CSRF_INVALID"
    assert any(r.startswith("words match how people say it: ") for r in found.evidence)


def test_how_people_say_it_is_no_evidence_for_a_status_alone(engine):
    # "api" is in a CSRF phrasing of people's words; a 403 from the API is not a CSRF error
    result = engine.triage("our terraform job gets 403 Forbidden from the MazeVault REST API")
    assert result.confident == ()


def test_two_words_that_look_like_a_code_are_a_meaning_not_a_written_code(engine):
    # "rate limit" is like `rate_limited`, but the paste rules it out and says which
    # error it is: that sentence's answer is the quota, not the look-alike.
    paste = ("scaivault: we're nowhere near the per-window rate limit (remaining 900), but "
             "every create returns 429 and says the tenant's hard quota has been reached")
    assert confident_keys(engine, paste)[0] == "scaivault:quota_exceeded"


@pytest.mark.parametrize(("paste", "keys"), [
    *SEVERAL_ERRORS,
    pytest.param("mazevault all green since the patch, every component reports healthy. "
                 "closing the incident", [], id="all green names no error"),
    pytest.param("fyi rotated the scaivault webhook secret, zero failures since. nothing to do",
                 [], id="zero failures names no error"),
    pytest.param("quick q on scaivault request ids: no error, just want them in our traces",
                 [], id="'no error, just' names no error"),
    pytest.param("in mazevault I can browse the project, but adding a secret tells me I'm not "
                 "allowed; my role there is read-only", ["mazevault:PERMISSION_DENIED"],
                 id="'not allowed' is failure language"),
    # ScaiVault documents "in the meantime" word for word; the paste is about MazeVault
    pytest.param("two of us saved the same mazevault access policy; the second save was "
                 "rejected, it had been changed in the meantime", ["mazevault:VERSION_CONFLICT"],
                 id="a sentence is ranked among its product's entries"),
    pytest.param("Forbidden (403)\nCSRF verification failed. Request aborted.\n\nCSRF cookie "
                 "not set.", [], id="a web framework's CSRF page is its own"),
    pytest.param("scaivault refused the export with ip_not_allowed from the old runner. on the "
                 "new runner the same export now says the token has to be MFA-backed for that "
                 "action.", ["scaivault:ip_not_allowed", "scaivault:mfa_required"],
                 id="a sentence beside a written code may tell a second error"),
    # Go's TLS error, in a paste that names none of our products: another Go program's
    pytest.param('sync-tool: Put "https://files.example.net/v2/upload": x509: certificate '
                 "signed by unknown authority", [], id="x509 without a product is not ours"),
    pytest.param("mazevault-agent register fails on the new host: x509: certificate signed by "
                 "unknown authority", ["mazevault:agent-registration-fails"],
                 id="x509 beside our agent is ours"),
    pytest.param("Error: deleting IAM Policy (arn:aws:iam::123:policy/ci): StatusCode: 409, "
                 "DeleteConflict: Cannot delete a policy attached to entities.", [],
                 id="an AWS resource name marks AWS's own error"),
    pytest.param("ScaiVault 401s our JWTs right after we mint them. exp is an hour out. we "
                 "switched our token signer to a new key pair yesterday.",
                 ["scaivault:token_invalid"],
                 id="a new signing key is a signature that does not validate"),
    # "policy" and "delete" are policy_in_use's words too; "no policy rule grants" says more
    pytest.param("scaivault: the new identity reads apps/* fine but any DELETE there is 403, "
                 "no policy rule grants delete to it", ["scaivault:access_denied"],
                 id="of a sentence's near-equal siblings, the one sharing more words"),
])
def test_what_a_paste_is_answered_with(engine, paste, keys):
    assert confident_keys(engine, paste) == keys


def test_a_python_postgres_drivers_refusal_is_its_own(engine):
    paste = "".join(
        f"{'psycopg2.OperationalError: ' if host == 'pg-main' else ''}could not connect to "
        f"server: Connection refused\n        Is the server running on host \"{host}\" and "
        "accepting\n        TCP/IP connections on port 5432?\n"
        for host in ("pg-main", "pg-replica"))
    assert confident_keys(engine, paste) == []


@pytest.mark.parametrize(("text", "cut"), [
    ("DELETE /v1/pki/cas/ca_int_2023 -> 404", "DELETE  ca  -> 404"),
    ("GET /api/v1/projects/web/certificates/c-88d1", "GET  certificates "),
    ("https://vault.example.com/api/v1/certificates?project=web", " certificates "),
    ("recreating secrets/ci/npm-token", "recreating secrets/ci/npm-token"),  # no route
])
def test_a_route_is_cut_to_what_it_ends_on(text, cut):
    assert with_route_objects(text) == cut


def test_a_status_list_is_narrowed_by_what_a_route_ends_on(engine):
    # "Not Found" is every 404's reason phrase: no single 404 is confident on it
    result = engine.triage("scaivault DELETE /v1/pki/cas/ca_lab_2024 -> 404 Not Found")
    assert result.confident == ()
    assert [e.key for e in result.same_status] == ["scaivault:ca_not_found"]

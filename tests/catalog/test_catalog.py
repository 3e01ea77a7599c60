"""The shipped catalog against its source documents, and the validator's messages.

The completeness tests parse the seed documents themselves, so a code added to a
document (or dropped from the catalog) fails here rather than in a support thread.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bot.catalog.load import DEFAULT_CATALOG_DIR, check_catalog, load_catalog
from bot.catalog.model import Catalog
from bot.errors import CatalogError
from bot.triage.match import code_style, normalize_code

REPO = Path(__file__).resolve().parents[2]
SEEDS = Path(__file__).resolve().parents[3] / "shared" / "seeds"
MAZE_DOC = SEEDS / "000_96e17e40f8130fa6.txt"
SCAI_DOC = SEEDS / "003_dc5ca60511bc8395.txt"

ISSUE_SLUGS = {
    "login-fails-with-403",
    "agent-registration-fails",
    "certificate-import-fails",
    "ocsp-errors",
    "database-connection-errors",
    "email-report-fails-with-certificate-error",
}
COMMAND_WORDS = ("curl", "openssl", "docker", "kubectl", "mazevault-agent", "nslookup")


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def maze_doc() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return MAZE_DOC.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def scai_doc() -> str:
    if not SEEDS.is_dir():
        pytest.skip(f"seed documents not found at {SEEDS}")
    return SCAI_DOC.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- seed parsing


def _between(text: str, start: str, end: str) -> list[str]:
    lines = text.splitlines()
    i = lines.index(start)
    j = lines.index(end, i)
    return lines[i + 1:j]


def maze_codes(doc: str) -> dict[str, dict[str, object]]:
    """UPPER_SNAKE table rows: code -> status, section, description, resolution."""
    out: dict[str, dict[str, object]] = {}
    lines = doc.splitlines()
    section = status = None
    for i, line in enumerate(lines):
        head = re.fullmatch(r"(HTTP (\d{3}) — .+?)¶", line)
        if head:
            section, status = head.group(1), int(head.group(2))
            continue
        row = re.fullmatch(r"([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+) \|", line)
        if row:
            cells = re.fullmatch(r"(.+?) \| (.+?) \|", lines[i + 1])
            assert cells, f"table row for {row.group(1)} not followed by its cells"
            out[row.group(1)] = {"status": status, "section": section,
                                 "description": cells.group(1), "resolution": cells.group(2)}
    return out


def words(text: str) -> str:
    return " ".join(re.findall(r"[^\s.;]+", text))


def slug(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", heading.lower()).strip("-")


def doc_commands(lines: list[str]) -> list[str]:
    """Shell commands in a block of the guide, continuations joined, host templated."""
    out: list[str] = []
    i = 0
    while i < len(lines):
        line = lines[i].strip()
        i += 1
        if not line.startswith(COMMAND_WORDS):
            continue
        cmd = [line]
        while cmd[-1].endswith(" \\") and i < len(lines):
            cmd.append(lines[i].strip())
            i += 1
        text = "\n".join(cmd)
        # The scrape glued the expected output onto the grep: `grep '...'Verify return code: 0`.
        text = re.sub(r"(grep '[^']*')\S.*$", r"\1", text)
        out.append(text.replace("vault.example.com", "{host}"))
    return out


def maze_issues(doc: str) -> dict[str, dict[str, object]]:
    """Common issues: slug -> heading, symptoms line, cause names, commands."""
    lines = _between(doc, "2. Common Issues¶", "3. Diagnostic Commands¶")
    starts = [i - 1 for i, line in enumerate(lines) if line.startswith("Symptoms:")]
    out: dict[str, dict[str, object]] = {}
    for n, start in enumerate(starts):
        block = lines[start:starts[n + 1] if n + 1 < len(starts) else len(lines)]
        causes = [re.sub(r"^- ", "", c).split(" — ")[0] for c in block if c.startswith("- ")
                  and " — " in c]
        causes += [c.removeprefix("Cause: ") for c in block if c.startswith("Cause: ")]
        out[slug(block[0])] = {
            "heading": block[0].removesuffix("¶"),
            "symptoms": block[1].removeprefix("Symptoms: "),
            "causes": causes,
            "commands": doc_commands(block),
        }
    return out


def scai_codes(doc: str) -> dict[str, dict[str, object]]:
    """Rows of the full error catalog: code -> status, section, meaning ('' when blank)."""
    lines = _between(doc, "Full error catalog#", "Validation error details#")
    out: dict[str, dict[str, object]] = {}
    section = None
    for line in lines:
        if line.endswith("#"):
            section = line[:-1]
            continue
        row = re.fullmatch(r"(\d{3}) ([a-z][a-z0-9_]+)(?: (.+))?", line)
        if row:
            out[row.group(2)] = {"status": int(row.group(1)), "section": section,
                                 "meaning": row.group(3) or ""}
    return out


def scai_retry_table(doc: str) -> dict[str, tuple[str, str]]:
    lines = _between(doc, "Retry classification#", "Full error catalog#")
    out = {}
    for line in lines:
        row = re.fullmatch(r"([a-z][a-z0-9_]+) (No|Yes|Rarely|Once) (.+)", line)
        if row:
            out[row.group(1)] = (row.group(2).lower(), row.group(3))
    return out


# --------------------------------------------------------------------------- completeness


def test_seed_parsers_find_the_documented_tables(maze_doc, scai_doc):
    # Guards the parsers themselves: an empty parse would make every other check vacuous.
    assert len(maze_codes(maze_doc)) == 20
    assert len(scai_codes(scai_doc)) == 51
    assert len(scai_retry_table(scai_doc)) == 16
    assert set(maze_issues(maze_doc)) == ISSUE_SLUGS


def test_every_mazevault_code_is_cataloged_with_status_section_and_words(catalog, maze_doc):
    for code, doc in maze_codes(maze_doc).items():
        entry = catalog.entry("mazevault", code)
        assert entry is not None, f"MazeVault {code} is missing"
        assert entry.kind == "error"
        assert entry.http_status == doc["status"], code
        assert entry.category == doc["section"], code
        assert entry.meaning == doc["description"], code
        assert entry.resolution[0] == doc["resolution"], code


def test_every_scaivault_code_is_cataloged_with_status_section_and_meaning(catalog, scai_doc):
    for code, doc in scai_codes(scai_doc).items():
        entry = catalog.entry("scaivault", code)
        assert entry is not None, f"ScaiVault {code} is missing"
        assert entry.http_status == doc["status"], code
        assert entry.category == doc["section"], code
        if doc["meaning"]:
            assert entry.meaning == doc["meaning"], code
        else:  # the document leaves it blank: a plain sentence, not the code again
            assert entry.meaning.endswith(".") and code not in entry.meaning, code


def test_catalog_holds_no_error_codes_the_documents_lack(catalog, maze_doc, scai_doc):
    documented = {"mazevault": set(maze_codes(maze_doc)), "scaivault": set(scai_codes(scai_doc))}
    for name, codes in documented.items():
        shipped = {e.code for e in catalog.by_catalog(name) if e.kind == "error"}
        assert shipped == codes, name


def test_mazevault_common_issues_carry_symptoms_causes_and_commands(catalog, maze_doc):
    issues = maze_issues(maze_doc)
    shipped = {e.code for e in catalog.by_catalog("mazevault") if e.kind == "issue"}
    assert shipped == ISSUE_SLUGS
    for code, doc in issues.items():
        entry = catalog.entry("mazevault", code)
        assert entry is not None and entry.kind == "issue", code
        assert entry.title == doc["heading"], code
        # The doc's one Symptoms line, possibly split into several symptoms.
        assert entry.symptoms, code
        assert words(" ".join(entry.symptoms)) == words(doc["symptoms"]), code
        assert [c.cause for c in entry.causes] == doc["causes"], code
        assert all(c.fix for c in entry.causes), code
        assert entry.commands, code
        runs = [c.run for c in entry.commands]
        for command in doc["commands"]:
            assert command in runs, f"{code}: {command!r} not among its commands"
    assert catalog.entry("mazevault", "login-fails-with-403").http_status == 403


def test_every_documented_command_is_somewhere_in_the_catalog(catalog, maze_doc):
    lines = _between(maze_doc, "2. Common Issues¶", "4. Support Escalation¶")
    runs = {c.run for e in catalog.by_catalog("mazevault") for c in e.commands}
    commands = doc_commands(lines)
    assert len(commands) >= 20
    for command in commands:
        assert command in runs, f"{command!r} is not in the catalog"


def test_no_command_still_names_the_example_host(catalog):
    for entry in catalog.entries:
        for command in entry.commands:
            assert "vault.example.com" not in command.run, (entry.key, command.label)


def test_host_templating_fills_every_placeholder(catalog):
    entry = catalog.entry("mazevault", "agent-registration-fails")
    runs = [c.for_host("vault.acme.internal") for c in entry.commands]
    assert "curl -v https://vault.acme.internal/api/v1/health" in runs
    assert any("--server https://vault.acme.internal \\\n" in r for r in runs)
    assert not any("{host}" in r for r in runs)


def test_diagnostic_commands_sit_on_the_entries_they_help(catalog):
    def runs(code: str) -> str:
        return "\n".join(c.run for c in catalog.entry("mazevault", code).commands)

    for code in ("DATABASE_ERROR", "INTERNAL_ERROR"):
        assert "/api/v1/health" in runs(code), code
        assert "grep '\"level\":\"error\"'" in runs(code), code
    assert "pg_isready" in runs("database-connection-errors")
    assert "kubectl get pods -n mazevault -l app=postgres" in runs("database-connection-errors")
    assert "nslookup {host}" in runs("agent-registration-fails")


def test_scaivault_retry_table_is_data_with_documented_source(catalog, scai_doc):
    table = scai_retry_table(scai_doc)
    for code, (policy, note) in table.items():
        entry = catalog.entry("scaivault", code)
        assert entry is not None, code
        assert (entry.retry.policy, entry.retry.note, entry.retry.source) == (
            policy, note, "documented"), code
        assert entry.resolution[0] == note, f"{code}: resolution should open with the doc's note"


def test_unlisted_scaivault_codes_inherit_the_documented_default(catalog, scai_doc):
    table = scai_retry_table(scai_doc)
    # The reference says "Anything not listed above is generally non-retryable."; the
    # catalog keeps its verdict in words that stand alone in an answer (nothing is "above").
    documented = re.search(r"^Anything not listed above is (.*)\.$", scai_doc, re.M).group(1)
    unlisted = [e for e in catalog.by_catalog("scaivault") if e.code not in table]
    assert len(unlisted) == 51 - 16
    for entry in unlisted:
        assert (entry.retry.policy, entry.retry.source) == ("no", "default"), entry.code
        assert documented in entry.retry.note and "above" not in entry.retry.note
    # The raw file gives unlisted codes no retry key of their own.
    raw = yaml.safe_load((DEFAULT_CATALOG_DIR / "scaivault.yml").read_text(encoding="utf-8"))
    assert [e["code"] for e in raw["entries"] if "retry" in e] == [
        e["code"] for e in raw["entries"] if e["code"] in table]


def test_mazevault_retry_guidance_is_marked_derived(catalog):
    errors = [e for e in catalog.by_catalog("mazevault") if e.kind == "error"]
    for entry in errors:
        assert entry.retry.source == "derived", entry.code
        assert entry.retry.note.endswith("."), entry.code
    policy = {e.code: e.retry.policy for e in errors}
    assert policy["RATE_LIMITED"] == "yes"
    assert policy["INTERNAL_ERROR"] == "once"
    assert policy["VERSION_CONFLICT"] in ("yes", "rarely")
    assert policy["DATABASE_ERROR"] in ("rarely", "once")
    assert "X-RateLimit-Reset" in catalog.entry("mazevault", "RATE_LIMITED").retry.note
    for entry in errors:
        if entry.http_status in (400, 401, 403, 404):
            assert entry.retry.policy == "no", entry.code


def test_scaivault_resolutions_carry_the_documented_handling(catalog):
    for entry in catalog.by_catalog("scaivault"):
        if entry.http_status >= 500:
            assert "Include the request_id in a support ticket." in entry.resolution, entry.code
    validation = catalog.entry("scaivault", "validation_error")
    assert "Show details.fields to the caller verbatim." in validation.resolution


def test_product_facts_come_from_the_documents(catalog, maze_doc, scai_doc):
    maze, scai = catalog.products["mazevault"], catalog.products["scaivault"]
    assert (maze.code_style, scai.code_style) == ("upper_snake", "lower_snake")
    assert scai.envelopes == ("nested_error",)
    assert set(maze.envelopes) == {"flat_error", "code_field", "json_log"}
    assert maze.support_email == "info@mazevault.com" and maze.support_email in maze_doc
    assert "license key for priority routing" in maze.support_notes
    assert scai.support_email is None and "request_id" in scai.support_notes
    assert maze.request_id_pattern is None
    example_id = re.search(r'"request_id": "([^"]+)"', scai_doc).group(1)
    assert re.fullmatch(scai.request_id_pattern, example_id)
    assert scai.request_id_header == "X-Request-ID" and "X-Request-ID" in scai_doc
    assert [(h.path, h.auth) for h in maze.health_checks] == [
        ("/api/v1/health", None), ("/api/v1/health/system", "admin"), ("/ocsp/health", None)]
    assert all(h.path in maze_doc for h in maze.health_checks)
    assert scai.health_checks == ()
    assert maze.default_host == "vault.example.com" and maze.default_host in maze_doc
    assert {i.key for i in maze.escalation_checklist} == {
        "health_output", "error_messages", "logs", "steps_to_reproduce", "deployment",
        "version", "license_key", "contact_email"}
    assert {"request_ids", "error_messages", "details", "steps_to_reproduce"} <= {
        i.key for i in scai.escalation_checklist}
    for product in (maze, scai):
        assert (REPO.parent / product.source).is_file(), product.source


def test_products_are_found_by_their_aliases(catalog):
    assert catalog.find_product("Maze Vault").catalog == "mazevault"
    assert catalog.find_product("scai-vault").catalog == "scaivault"
    assert catalog.find_product("ScaiKey") is None


def test_aliases_are_phrases_not_generic_words(catalog):
    generic = {"error", "failed", "failure", "issue", "problem", "broken", "denied", "invalid",
               "not found", "conflict", "timeout"}
    for entry in catalog.entries:
        assert entry.aliases, f"{entry.key} has no aliases"
        for alias in (*entry.aliases, *entry.keywords):
            assert alias.lower() not in generic, (entry.key, alias)


def test_aliases_do_not_point_at_two_entries_of_one_product(catalog):
    for name in catalog.products:
        seen: dict[str, str] = {}
        for entry in catalog.by_catalog(name):
            for alias in entry.aliases:
                key = alias.lower()
                assert seen.setdefault(key, entry.code) == entry.code, (name, alias)


def test_code_like_aliases_do_not_shadow_real_codes(catalog):
    codes = {normalize_code(e.code): e.key for e in catalog.entries}
    for entry in catalog.entries:
        for alias in entry.aliases:
            if code_style(alias):
                assert codes.get(normalize_code(alias), entry.key) == entry.key, alias


def test_shipped_catalog_checks_clean():
    assert check_catalog() == []


# --------------------------------------------------------------------------- validator messages


@pytest.fixture
def catalog_copy(tmp_path: Path) -> Path:
    """A copy of the shipped catalog in tmp_path/catalog (messages name `catalog/<file>`)."""
    dest = tmp_path / "catalog"
    dest.mkdir()
    for path in DEFAULT_CATALOG_DIR.glob("*.yml"):
        shutil.copy(path, dest / path.name)
    return dest


def edit(directory: Path, file: str, change: Callable[[dict], None]) -> None:
    path = directory / file
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")


def entry_of(data: dict, code: str) -> dict:
    return next(e for e in data["entries"] if e["code"] == code)


def load_error(directory: Path) -> str:
    with pytest.raises(CatalogError) as info:
        load_catalog(directory)
    return str(info.value)


def at(directory: Path, file: str, code: str) -> str:
    """How a message names an entry: `entries[<index>] (<code>)`."""
    data = yaml.safe_load((directory / file).read_text(encoding="utf-8"))
    index = next(i for i, e in enumerate(data["entries"]) if e["code"] == code)
    return f"entries[{index}] ({code})"


def test_unchanged_copy_loads(catalog_copy):
    assert len(load_catalog(catalog_copy).entries) == len(load_catalog().entries)


def test_unknown_retry_policy_is_named_with_the_allowed_ones(catalog_copy):
    edit(catalog_copy, "scaivault.yml",
         lambda d: entry_of(d, "rate_limited")["retry"].update(policy="maybe"))
    assert load_error(catalog_copy) == (
        f"catalog/scaivault.yml: {at(catalog_copy, 'scaivault.yml', 'rate_limited')}: "
        "retry.policy: must be one of no, rarely, yes, once (got 'maybe')")


def test_duplicate_code_is_refused(catalog_copy):
    edit(catalog_copy, "scaivault.yml",
         lambda d: d["entries"].append(dict(entry_of(d, "rate_limited"))))
    first = at(catalog_copy, "scaivault.yml", "rate_limited")
    last = len(yaml.safe_load((catalog_copy / "scaivault.yml").read_text())["entries"]) - 1
    assert load_error(catalog_copy) == (
        f"catalog/scaivault.yml: entries[{last}] (rate_limited): code: 'rate_limited' is used "
        f"twice (also {first.split(' ')[0]})")


def test_unknown_entry_key_is_refused(catalog_copy):
    edit(catalog_copy, "mazevault.yml",
         lambda d: entry_of(d, "RATE_LIMITED").update(severity="high"))
    assert load_error(catalog_copy) == (
        f"catalog/mazevault.yml: {at(catalog_copy, 'mazevault.yml', 'RATE_LIMITED')}: "
        "severity: unknown key (known: aliases, category, causes, code, commands, "
        "http_status, keywords, kind, meaning, related, resolution, retry, said_as, symptoms, "
            "title)")


def test_misspelt_key_is_named_with_the_nearest_known_key(catalog_copy):
    def misspell(d: dict) -> None:
        entry = entry_of(d, "RATE_LIMITED")
        entry["meening"] = entry.pop("meaning")

    edit(catalog_copy, "mazevault.yml", misspell)
    assert load_error(catalog_copy).startswith(
        f"catalog/mazevault.yml: {at(catalog_copy, 'mazevault.yml', 'RATE_LIMITED')}: "
        "meening: unknown key, did you mean 'meaning'? (known: aliases, ")


def test_unknown_product_key_is_refused(catalog_copy):
    edit(catalog_copy, "mazevault.yml", lambda d: d["product"].update(owner="team-vault"))
    assert load_error(catalog_copy) == (
        "catalog/mazevault.yml: product.owner: unknown key (known: aliases, code_style, "
        "default_host, default_retry, deployments, envelopes, escalation_checklist, "
        "health_checks, health_failures, name, request_id, source, support)")


def test_missing_meaning_is_refused(catalog_copy):
    edit(catalog_copy, "scaivault.yml", lambda d: entry_of(d, "policy_in_use").pop("meaning"))
    assert load_error(catalog_copy) == (
        f"catalog/scaivault.yml: {at(catalog_copy, 'scaivault.yml', 'policy_in_use')}: "
        "meaning: is required")


def test_missing_resolution_is_refused(catalog_copy):
    edit(catalog_copy, "mazevault.yml", lambda d: entry_of(d, "ocsp-errors").pop("resolution"))
    assert load_error(catalog_copy) == (
        f"catalog/mazevault.yml: {at(catalog_copy, 'mazevault.yml', 'ocsp-errors')}: "
        "resolution: is required (a list of steps)")


def test_error_without_http_status_is_refused(catalog_copy):
    edit(catalog_copy, "mazevault.yml", lambda d: entry_of(d, "AUTH_EXPIRED").pop("http_status"))
    assert load_error(catalog_copy) == (
        f"catalog/mazevault.yml: {at(catalog_copy, 'mazevault.yml', 'AUTH_EXPIRED')}: "
        "http_status: is required for kind 'error'")


def test_issue_without_http_status_is_fine(catalog_copy):
    edit(catalog_copy, "mazevault.yml",
         lambda d: entry_of(d, "login-fails-with-403").pop("http_status"))
    entry = load_catalog(catalog_copy).entry("mazevault", "login-fails-with-403")
    assert entry.http_status is None


def test_invalid_yaml_names_the_line(catalog_copy):
    path = catalog_copy / "scaivault.yml"
    lines = path.read_text(encoding="utf-8").splitlines()
    at = lines.index("  - code: rate_limited") + 1  # the line after it, 0-based
    lines[at] = "\thttp_status: 429"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert load_error(catalog_copy) == f"catalog/scaivault.yml: is not valid YAML at line {at + 1}"


def test_file_that_is_not_a_mapping_is_refused(catalog_copy):
    (catalog_copy / "scaivault.yml").write_text("- rate_limited\n- quota_exceeded\n",
                                                encoding="utf-8")
    assert load_error(catalog_copy) == (
        "catalog/scaivault.yml: must be a mapping with 'product' and 'entries'")


def test_bad_request_id_regex_is_refused(catalog_copy):
    edit(catalog_copy, "scaivault.yml",
         lambda d: d["product"]["request_id"].update(pattern="req_[A-Za-z0-9+"))
    assert load_error(catalog_copy) == (
        "catalog/scaivault.yml: product.request_id.pattern: must be a valid regular "
        "expression (unterminated character set at position 4)")


def test_related_must_name_a_code_in_the_same_file(catalog_copy):
    edit(catalog_copy, "scaivault.yml",
         lambda d: entry_of(d, "rate_limited").update(related=["RATE_LIMITED"]))
    assert load_error(catalog_copy) == (
        f"catalog/scaivault.yml: {at(catalog_copy, 'scaivault.yml', 'rate_limited')}: "
        "related[0]: 'RATE_LIMITED' is not a code in this file")


def test_lenient_load_keeps_the_good_file_and_lists_the_broken_one(catalog_copy):
    edit(catalog_copy, "scaivault.yml",
         lambda d: entry_of(d, "rate_limited")["retry"].update(policy="maybe"))
    loaded = load_catalog(catalog_copy, strict=False)
    assert list(loaded.products) == ["mazevault"]
    assert {e.catalog for e in loaded.entries} == {"mazevault"}
    assert len(loaded.entries) == len(load_catalog().by_catalog("mazevault"))
    assert [p.file for p in loaded.problems] == ["catalog/scaivault.yml"]
    assert [str(p) for p in check_catalog(catalog_copy)] == [str(loaded.problems[0])]


def test_health_failure_codes_must_be_in_the_same_file(catalog_copy):
    edit(catalog_copy, "mazevault.yml",
         lambda d: d["product"]["health_failures"][0]["codes"].append("rate_limited"))
    assert load_error(catalog_copy) == (
        "catalog/mazevault.yml: product.health_failures[0].codes[2]: 'rate_limited' is not "
        "a code in this file")


def test_health_failure_needs_a_condition_and_something_to_say(catalog_copy):
    edit(catalog_copy, "mazevault.yml",
         lambda d: d["product"]["health_failures"].append({"codes": ["INTERNAL_ERROR"]}))
    assert load_error(catalog_copy).startswith(
        "catalog/mazevault.yml: product.health_failures[9]: needs a condition: component, ")
    edit(catalog_copy, "mazevault.yml",
         lambda d: d["product"]["health_failures"][-1].update(codes=[], reason=["dns"]))
    assert load_error(catalog_copy) == (
        "catalog/mazevault.yml: product.health_failures[9]: needs codes or says (or both)")


def test_health_failure_regex_must_compile(catalog_copy):
    edit(catalog_copy, "mazevault.yml",
         lambda d: d["product"]["health_failures"][0].update(component="(db"))
    assert load_error(catalog_copy) == (
        "catalog/mazevault.yml: product.health_failures[0].component: must be a valid "
        "regular expression (missing ), unterminated subpattern at position 0)")


def test_deployment_words_are_required(catalog_copy):
    edit(catalog_copy, "mazevault.yml", lambda d: d["product"]["deployments"][1].pop("words"))
    assert load_error(catalog_copy) == (
        "catalog/mazevault.yml: product.deployments[1].words: is required (a list of words)")


def test_empty_key_means_the_default(catalog_copy):
    edit(catalog_copy, "scaivault.yml", lambda d: entry_of(d, "rate_limited").update(
        aliases=None, keywords=None))
    entry = load_catalog(catalog_copy).entry("scaivault", "rate_limited")
    assert (entry.aliases, entry.keywords) == ((), ())


def test_mazevault_health_knowledge_is_data(catalog):
    maze = catalog.products["mazevault"]
    says = {rule.says for rule in maze.health_failures if rule.says}
    assert says == {"database unhealthy", "OCSP responder unhealthy"}
    assert [d.name for d in maze.deployments][:2] == ["AKS", "on-premise"]

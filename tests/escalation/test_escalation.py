"""Escalation packets from threads: drafting, redaction, rendering, storage and the CLI."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from bot.catalog.load import load_catalog
from bot.config import Settings
from bot.core import Core
from bot.escalation.draft import ThreadMessage, draft_from_thread
from bot.escalation.flow import finish_escalation, prepare_escalation
from bot.escalation.packet import assemble
from bot.escalation.render import MAX_MAILTO, email_draft, packet_json, packet_markdown
from bot.escalation.thread_facts import (
    FactWords,
    deployment_in,
    email_in,
    license_in,
    log_lines,
    steps_in,
    version_in,
)
from bot.redact import Redactor
from bot.store import Store
from bot.triage.engine import TriageEngine
from tests.fakes import escalation_thread as fx
from tests.fakes.servers import LocalServer, Reply

ROOT = Path(__file__).resolve().parents[2]
CATALOG = load_catalog(None)
ENGINE = TriageEngine(CATALOG)
WORDS = FactWords.of(CATALOG)  # product names and deployment words, from the catalog


def as_messages(raw: list[dict], files: dict[str, str] | None = None) -> list[ThreadMessage]:
    """Slack message dicts as `read_thread` returns them (file contents already fetched)."""
    files = files or {}
    return [ThreadMessage(m["ts"], m.get("user"), m["text"],
                          tuple((f["name"], files[f["id"]]) for f in m.get("files") or []
                                if f["id"] in files)) for m in raw]


SCAI = as_messages(fx.scai_thread(file_url="https://files.slack.com/x"),
                   {fx.FILE_ID: fx.LOG_FILE})
MAZE = as_messages(fx.maze_thread())


def build(messages: list[ThreadMessage], answers: dict | None = None, health=None,
          hint: str | None = None):
    draft = draft_from_thread(messages, ENGINE, product_hint=hint, known=answers)
    packet = assemble(draft, CATALOG, health=health, answers=answers or {}, thread="C1:1.2",
                      author="U_SUPPORT", redactor=Redactor(), messages=messages)
    return draft, packet


# --------------------------------------------------------------------------- drafting


def test_scaivault_thread_every_error_and_request_id_found():
    draft, _ = build(SCAI)
    assert draft.product == "scaivault"
    codes = {e.code for e in draft.errors}
    assert set(fx.SCAI_CODES) <= codes
    assert all(e.catalog == "scaivault" for e in draft.errors)  # no MazeVault echoes
    assert set(fx.SCAI_REQUEST_IDS) <= set(draft.request_ids)
    by_id = {e.request_id: e for e in draft.errors}
    assert by_id["req_9f8e7d6c"].code == "rate_limited"
    assert by_id["req_9f8e7d6c"].http_status == 429
    # details.fields verbatim: each field as the JSON it was sent as
    assert tuple(map(json.loads, by_id["req_3c4d5e6f"].fields)) == fx.SCAI_FIELDS
    assert by_id["req_55aa77bb"].source.startswith("file sync.log")  # from the shared file
    assert by_id["req_7Kp2Qz9x"].count == 2  # pasted, then seen again in the log snippet


def test_each_error_keeps_its_own_product_and_request_id():
    # One message, two products: the ScaiVault envelope's id is not MazeVault's, and
    # neither error is relabelled as the other product's.
    text = ('Customer on MazeVault 2.4. Their sync job also calls ScaiVault:\n'
            '{"error":{"code":"rate_limited","message":"Too many requests",'
            '"request_id":"req_77ab12"}}\n'
            'and MazeVault says {"error":"CSRF_INVALID","message":"CSRF token missing"}')
    draft, _ = build([ThreadMessage("1.1", "U1", text)])
    by_code = {e.code: e for e in draft.errors}
    assert by_code["rate_limited"].catalog == "scaivault"
    assert by_code["rate_limited"].request_id == "req_77ab12"
    assert by_code["CSRF_INVALID"].catalog == "mazevault"
    assert by_code["CSRF_INVALID"].request_id is None


def test_errors_are_a_timeline_with_times_from_log_lines_or_messages():
    draft, _ = build(SCAI)
    times = [e.seen_at for e in draft.errors]
    assert all(times) and times == sorted(times)
    first = next(e for e in draft.errors if e.request_id == "req_7Kp2Qz9x")
    assert first.seen_at.startswith("2026-04-24T03:")  # the message time (ts), ISO UTC
    backend = next(e for e in draft.errors if e.code == "backend_timeout")
    assert backend.seen_at == "2026-04-24T03:10:00Z"  # the log line's own timestamp


def test_thread_facts_prefill_the_checklist_and_nothing_known_is_asked():
    draft, _ = build(SCAI)
    assert draft.facts["version"] == "2.8.3"
    assert draft.facts["deployment"] == "AKS"
    assert "crm-sync --full" in draft.facts["steps_to_reproduce"]
    assert draft.missing == ()  # ScaiVault's checklist is covered by the thread


def test_missing_items_are_only_what_the_thread_lacks():
    draft, _ = build(MAZE)
    assert draft.product == "mazevault"
    assert [m.key for m in draft.missing] == ["deployment", "license_key", "contact_email"]
    assert draft.facts["version"] == "3.4.1"
    answered, _ = build(MAZE, answers={"deployment": "AKS", "license_key": "MV-1234-ACME"})
    assert [m.key for m in answered.missing] == ["contact_email"]


def test_same_error_pasted_twice_with_and_without_request_id_is_one_row():
    draft, _ = build(MAZE)
    rows = [e for e in draft.errors if e.code == "DATABASE_ERROR"]
    assert len(rows) == 1 and rows[0].count == 2
    assert rows[0].request_id == fx.MAZE_REQUEST_ID


def test_undocumented_envelope_code_is_kept_as_not_in_catalog():
    msgs = [ThreadMessage("1777000000.000100", "U1",
                          '{"error":{"code":"quantum_flux","message":"Flux capacitor down",'
                          '"request_id":"req_abcdef12"}}')]
    draft, packet = build(msgs)
    row = next(e for e in draft.errors if e.code == "quantum_flux")
    assert row.catalog is None and row.message == "Flux capacitor down"
    assert "not in the catalog" in packet_markdown(packet)


def test_product_hint_decides_only_when_the_thread_does_not():
    chat = [ThreadMessage("1777000000.0", "U1", "the service is slow today, no errors yet")]
    assert build(chat, hint="mazevault")[0].product == "mazevault"
    assert build(chat)[0].product is None
    assert build(SCAI, hint="mazevault")[0].product == "scaivault"


def test_unknown_product_uses_the_generic_checklist():
    draft, packet = build([ThreadMessage("1.0", "U1", "it broke")])
    assert {item.key for item in draft.checklist} >= {"error_messages", "steps_to_reproduce"}
    assert packet.product_name == "Unknown product"


# --------------------------------------------------------------------------- redaction


def test_no_secret_survives_anywhere_in_the_packet():
    _, packet = build(SCAI)
    md, js = packet_markdown(packet), json.dumps(packet_json(packet))
    for secret in fx.SECRETS:
        assert secret not in md and secret not in js, secret[:12]
    assert "PRIVATE KEY" not in md
    assert packet.redacted >= 5
    assert {"authorization", "password", "cookie", "token"} <= set(packet.redacted_kinds)


def test_request_ids_and_codes_survive_redaction():
    _, packet = build(SCAI)
    md, js = packet_markdown(packet), json.dumps(packet_json(packet))
    for rid in fx.SCAI_REQUEST_IDS:
        assert rid in md and rid in js
    for code in fx.SCAI_CODES:
        assert f"`{code}`" in md


def test_same_secret_reads_the_same_placeholder_across_the_packet():
    _, packet = build(SCAI)
    md = packet_markdown(packet)
    # The bearer token appears twice in the curl paste: one placeholder for both.
    curl = next(text for where, text in packet.excerpts if "curl" in text)
    holders = re.findall(r"Bearer (\[REDACTED:[a-z_]+#\d+\])", curl)
    assert len(holders) == 2 and holders[0] == holders[1]
    # The database password is in a DSN and a log line: the same placeholder in both.
    assert len(set(re.findall(r"\[REDACTED:password#\d+\]", packet.logs_excerpt))) == 1
    assert md.count(holders[0]) >= 2


def test_answers_are_redacted_too():
    _, packet = build(MAZE, answers={"steps_to_reproduce": "login with password=Sup3rS3cret!"})
    md = packet_markdown(packet)
    assert "Sup3rS3cret" not in md and "Sup3rS3cret" not in json.dumps(packet_json(packet))
    assert "password=[REDACTED:password#1]" in md


SECRET_CHARS = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"
secret_values = st.text(SECRET_CHARS, min_size=16, max_size=40)
chat = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(chat, st.sampled_from([
    "Authorization: Bearer {s}", "password={s}", '{{"client_secret": "{s}"}}',
    "curl -H 'Cookie: session={s}' https://x", "api_key={s}", "token: {s}"]), secret_values,
    st.sampled_from(fx.SCAI_REQUEST_IDS)), min_size=1, max_size=6))
def test_property_secrets_in_any_thread_never_reach_the_packet(parts):
    """Secrets of each kind in random chat, in error messages: gone; request ids: kept."""
    # A secret said in plain chat, with no key or header, has no context to find it by.
    assume(not any(p[2] in q[0] for p in parts for q in parts))
    msgs, secrets, ids = [], [], []
    for i, (noise, shape, secret, rid) in enumerate(parts):
        line = shape.format(s=secret)
        text = (f"{noise}\n{line}\n" + '{"error":{"code":"internal_error","message":"'
                f"upstream said {line.replace(chr(34), chr(39))}" + f'","request_id":"{rid}"}}}}')
        msgs.append(ThreadMessage(f"{1777000000 + i}.0", "U1", text))
        secrets.append(secret)
        ids.append(rid)
    _, packet = build(msgs)
    out = packet_markdown(packet) + json.dumps(packet_json(packet))
    for secret in secrets:
        assert secret not in out
    for rid in ids:
        assert rid in out


# --------------------------------------------------------------------------- rendering


def test_markdown_has_every_section_and_a_correct_checklist():
    _, packet = build(MAZE, answers={"deployment": "on-premise"})
    md = packet_markdown(packet)
    for heading in ("## Summary", "## Checklist", "## Errors (timeline)", "## Request ids",
                    "## Health", "## Environment", "## Steps to reproduce", "## Logs excerpt"):
        assert heading in md
    assert "- [x] **Deployment type (AKS / on-premise)**: on-premise" in md
    assert "- [x] **MazeVault version**: 3.4.1" in md
    assert "- [ ] **License key (reference it for priority routing)**" in md
    assert "- [ ] **Health endpoint output (/api/v1/health/system)**" in md  # no target
    assert "too many connections" in md  # the log line


def test_json_shape_is_versioned_and_complete():
    _, packet = build(SCAI)
    doc = packet_json(packet)
    assert doc["schema"] == "errcode.escalation/1"
    assert doc["product"] == "scaivault"
    assert {e["request_id"] for e in doc["errors"]} >= set(fx.SCAI_REQUEST_IDS)
    assert all(c["done"] for c in doc["checklist"])
    assert doc["environment"] == {"deployment": "AKS", "version": "2.8.3"}
    json.dumps(doc)  # serialisable as is


def test_pasted_fences_cannot_break_out_of_their_block():
    steps = "1. run this:\n````\n```\n# Injected heading\n"
    _, packet = build(MAZE, answers={"steps_to_reproduce": steps})
    md = packet_markdown(packet)
    block = md.split("## Steps to reproduce", 1)[1].split("## Logs excerpt", 1)[0]
    fences = re.findall(r"^(`{3,})$", block, re.M)
    assert fences[0] == fences[-1] and len(fences[0]) > 4  # longer than the paste's runs
    assert block.index("# Injected heading") < block.rindex(fences[0])


def test_email_draft_to_support_with_product_code_and_first_request_id():
    _, packet = build(MAZE)
    mail = email_draft(packet)
    parts = urlsplit(mail)
    assert parts.scheme == "mailto" and parts.path == "info@mazevault.com"
    query = parse_qs(parts.query)
    assert query["subject"] == [f"[MazeVault] DATABASE_ERROR ({fx.MAZE_REQUEST_ID})"]
    assert "C1:1.2" in query["body"][0]  # the link to the thread


def test_email_draft_stays_within_mailto_limits_and_none_without_support():
    many = [ThreadMessage(f"{1777000000 + i}.0", "U1",
                          f'{{"error":"DATABASE_ERROR","message":"fail {i}"}} '
                          f"X-Request-ID: {i:08d}-aaaa-bbbb-cccc-dddddddddddd")
            for i in range(300)]
    _, packet = build(many, hint="mazevault")
    assert len(email_draft(packet)) <= MAX_MAILTO
    _, scai = build(SCAI)
    assert email_draft(scai) is None  # ScaiVault's document names no support address


# --------------------------------------------------------------------------- facts


@pytest.mark.parametrize(("text", "version"), [
    ("we run 3.4.1 on AKS", "3.4.1"), ('"version": "3.4.2",', "3.4.2"),
    ("MazeVault v3.5 here", "3.5"), ("upgraded to 3.4.2-rc1 yesterday", "3.4.2-rc1"),
    ("host 10.0.0.12 is down", None), ("what version are you on?", None),
    ("HTTP/1.1 500", None)])
def test_version_in(text, version):
    assert version_in(text, WORDS) == version


@pytest.mark.parametrize(("text", "deployment"), [
    ("We're on AKS, three replicas.", "AKS"), ("it's on-prem in our DC", "on-premise"),
    ("is this AKS or on-prem?", None), ('{"deployment": "aks-westeurope"}', "aks-westeurope"),
    ("nothing about it", None)])
def test_deployment_in(text, deployment):
    assert deployment_in(text, WORDS) == deployment


def test_licence_contact_steps_and_logs():
    assert license_in("our licence key is MV-2291-ACME") == "MV-2291-ACME"
    assert license_in("the license is expired") is None
    assert email_in("reach me at ops@acme.io please") == "ops@acme.io"
    assert email_in("reply to info@mazevault.com", frozenset({"info@mazevault.com"})) is None
    assert email_in("bob@acme.io said hi") is None  # an address without "contact" context
    assert steps_in("Steps to reproduce:\n1. open\n2. save").startswith("1. open")
    assert steps_in("no steps here") is None
    found = log_lines("2026-04-24T08:00:01Z ERROR db down\nwe see ERROR in the UI\n"
                      '{"level":"warn","msg":"slow"}\n{"error":{"code":"x"}}')
    assert found.lines == ("2026-04-24T08:00:01Z ERROR db down", '{"level":"warn","msg":"slow"}')
    assert found.errors == 1


# --------------------------------------------------------------------------- flow and store


def services_for(tmp_path: Path, health: dict | None = None, env: dict | None = None):
    settings = Settings(storage_path=tmp_path / "errcode.db", health_raw=health)
    store = Store(settings.storage_path)
    return Core.load(settings, CATALOG, store, env=env or {}), store


def test_repeated_escalation_is_a_new_version_of_one_packet(tmp_path):
    services, store = services_for(tmp_path)
    with store:
        first = finish_escalation(services, MAZE, thread_key="C1:1.0", thread="C1:1.0",
                                  channel="C1", user="U1", answers={"deployment": "AKS"})
        again = finish_escalation(services, MAZE, thread_key="C1:1.0", thread="C1:1.0",
                                  channel="C1", user="U2", answers={})
        assert first.record.version == 1
        assert again.record.id == first.record.id and again.record.version == 2
        assert len(store.list_packets()) == 1
        # The earlier answer is remembered: nothing is asked twice.
        prepared = prepare_escalation(services, MAZE, thread_key="C1:1.0")
        assert "deployment" not in [m.key for m in prepared.draft.missing]
        assert again.packet.environment["deployment"] == "AKS"


def test_private_note_counts_redactions(tmp_path):
    services, store = services_for(tmp_path)
    with store:
        result = finish_escalation(services, SCAI, thread_key="C2:1.0", thread=None,
                                   channel="C2", user="U1", answers={})
    assert f"{result.packet.redacted} secrets redacted" in result.private_note
    assert result.packet.redacted >= 5


def test_health_output_from_real_checks_fills_version_and_checklist(tmp_path):
    with LocalServer() as server:
        server.route("/api/v1/health", Reply.json({"status": "healthy", "version": "3.4.9"}))
        server.route("/api/v1/health/system", Reply.json(
            {"status": "degraded", "components": {"database": {"status": "unhealthy"}},
             "deployment": "AKS"}))
        server.route("/ocsp/health", Reply.json({"status": "ok"}))
        health = {"targets": [{"name": "prod", "product": "mazevault", "base_url": server.url,
                               "token_env": "MV_TOKEN"}]}
        services, store = services_for(tmp_path, health, env={"MV_TOKEN": "adm-9f8e7d6c5b4a"})
        with store:
            result = finish_escalation(services, MAZE, thread_key="C3:1.0", thread=None,
                                       channel="C3", user="U1", answers={})
        sent = server.requests_to("/api/v1/health/system")[0].headers.get("authorization")
    packet = result.packet
    assert sent == "Bearer adm-9f8e7d6c5b4a"  # the admin check got its token
    assert packet.health_status == "degraded"
    md = result.record.markdown
    assert "adm-9f8e7d6c5b4a" not in md and "adm-9f8e7d6c5b4a" not in result.record.data_json
    assert "- [x] **Health endpoint output (/api/v1/health/system)**" in md
    assert packet.environment["deployment"] == "AKS"  # from the health output
    assert packet.environment["version"] == "3.4.1"  # the thread said it; health is a fallback
    assert "database" in packet.health_text


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str, tmp_path: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "ERRCODE_STORAGE_PATH": str(tmp_path / "cli.db"), "HOME": str(tmp_path)}
    env.pop("ERRCODE_CONFIG", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], input=stdin, text=True,
                          capture_output=True, cwd=tmp_path, env=env, timeout=60)


def test_cli_escalate_from_saved_thread_json_then_list_and_show(tmp_path):
    saved = tmp_path / "thread.json"
    saved.write_text(json.dumps({"ok": True, "messages": fx.maze_thread()}))
    out = run_cli("escalate", "--from", str(saved), "--json", "--answer", "deployment=AKS",
                  tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["version"] == 1 and doc["packet"]["schema"] == "errcode.escalation/1"
    assert doc["packet"]["environment"]["deployment"] == "AKS"
    again = json.loads(run_cli("escalate", "--from", str(saved), "--json", "--answer",
                               "license_key=MV-2291-ACME", tmp_path=tmp_path).stdout)
    assert (again["id"], again["version"]) == (doc["id"], 2)
    # Earlier answers are kept for the thread: nothing is asked twice.
    assert again["packet"]["environment"]["deployment"] == "AKS"
    listed = run_cli("escalations", "list", tmp_path=tmp_path)
    assert doc["id"] in listed.stdout and "v2" in listed.stdout
    shown = run_cli("escalations", "show", doc["id"], "--version", "1", "--json",
                    tmp_path=tmp_path)
    assert json.loads(shown.stdout)["packet"]["environment"]["deployment"] == "AKS"
    missing = run_cli("escalations", "show", "ESC-9999", tmp_path=tmp_path)
    assert missing.returncode == 1 and "no escalation packet ESC-9999" in missing.stderr


def test_cli_escalate_from_a_plain_log_file_redacts_and_reports(tmp_path):
    log = tmp_path / "app.log"
    log.write_text(fx.LOG_FILE + fx.LOG_SNIPPET)
    out = run_cli("escalate", "--from", str(log), tmp_path=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "backend_timeout" in out.stdout and "req_55aa77bb" in out.stdout
    assert fx.API_KEY not in out.stdout + out.stderr
    assert fx.DB_PASSWORD not in out.stdout + out.stderr
    assert re.search(r"stored as ESC-\d+ version 1", out.stderr)
    assert "secrets redacted" in out.stderr


def test_cli_escalate_missing_file_is_a_clear_error(tmp_path):
    out = run_cli("escalate", "--from", str(tmp_path / "nope.json"), tmp_path=tmp_path)
    assert out.returncode != 0
    assert "--from" in out.stderr and "does not exist" in out.stderr
    assert "Traceback" not in out.stderr


def test_long_pastes_are_redacted_before_they_are_cut():
    """A secret straddling the excerpt's cut must not survive as an unrecognisable half."""
    head = '{"error":"DATABASE_ERROR","message":"Database operation failed"}\njwt='
    text = head + "x" * (2_950 - len(head)) + " " + fx.JWT + "\n" + "y" * 300  # cut: in the JWT
    log = "\n".join(f"2026-04-24T08:00:{i % 60:02d}Z ERROR api_key=k{i:04d}{fx.API_KEY}"
                    for i in range(200))
    _, packet = build([ThreadMessage("1777000000.0", "U1", text),
                       ThreadMessage("1777000060.0", "U1", log)], hint="mazevault")
    out = packet_markdown(packet) + json.dumps(packet_json(packet))
    assert "… (cut)" in out and "more lines in the thread" in out
    assert fx.JWT[:45] not in out and fx.API_KEY not in out


def test_a_clean_text_stays_clean_whatever_the_redactor_saw_before():
    """The packet reads each text that has no secret once (`packet._once_each`, a long
    thread repeats its error messages hundreds of times). That holds while the redactor
    finds secrets by their shape in each text, never by a value it saw in another: if
    that changes, so must the memo."""
    redactor = Redactor()
    bare = f"the old one was {fx.DB_PASSWORD}, I think"
    assert redactor.redact(bare) == bare
    assert fx.DB_PASSWORD not in redactor.redact(f"password={fx.DB_PASSWORD}")
    assert redactor.redact(bare) == bare and redactor.count == 1


def test_a_repeated_error_message_is_counted_as_often_as_it_holds_a_secret():
    """A text with a secret is redacted every time it appears: the packet's count is of
    occurrences, as without the memo."""
    thread = [ThreadMessage(f"17770000{i:02d}.0", "U1",
                            f'{{"error":{{"code":"internal_error","message":"token='
                            f'{fx.API_KEY}","request_id":"req_{i:04d}"}}}}') for i in range(5)]
    _, packet = build(thread, hint="scaivault")
    assert len(packet.errors) == 5 and len(packet.excerpts) == 5
    assert packet.redacted == 10  # each error's message and each excerpt
    assert fx.API_KEY not in packet_markdown(packet) + json.dumps(packet_json(packet))

"""Escalation at scale: a 5,000-message thread and a long log give the packet a short
thread gives, and the fast fact finders find exactly what one regex pass finds."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.catalog.load import load_catalog
from bot.escalation import thread_facts as tf
from bot.escalation.draft import ThreadMessage, draft_from_thread
from bot.escalation.packet import assemble
from bot.escalation.render import packet_markdown
from bot.redact import Redactor
from bot.triage.engine import TriageEngine
from tests.fakes import escalation_thread as fx

CATALOG = load_catalog(None)
ENGINE = TriageEngine(CATALOG)
WORDS = tf.FactWords.of(CATALOG)
SCAI_WORDS = tf.FactWords.of(CATALOG, "scaivault")
CHAT = ("any update?", "still failing for us", "+1", "thanks!", "ok",
        "restarting the worker now", "is this AKS or on-prem?", "what version are you on?")


def huge_thread(n: int = 5_000) -> tuple[list[ThreadMessage], set[str]]:
    """`n` messages: every pasted error of the recorded thread, each paste with its own
    request ids, between chat; the version and deployment stated once, late."""
    pastes = [text for _, text in fx.SCAI_MESSAGES if "req_" in text]
    out: list[ThreadMessage] = []
    ids: set[str] = set()
    for i in range(n):
        if i == n - 300:
            text = "We run ScaiVault 2.8.3 on AKS, three replicas."
        elif i % 40 == 0:
            text = pastes[(i // 40) % len(pastes)].replace("req_", f"req_{i:05d}x")
            ids.update(re.findall(r"req_\w+", text))
        else:
            text = CHAT[i % len(CHAT)]
        files = (("sync.log", fx.LOG_FILE.replace("req_", f"req_{i:05d}f")),) if i == 2_500 \
            else ()
        ids.update(re.findall(r"req_\w+", files[0][1]) if files else ())
        out.append(ThreadMessage(f"{fx.T0 + i * 30}.{i:06d}", "U_CUST", text, files))
    return out, ids


def test_huge_thread_still_yields_the_codes_request_ids_and_version():
    messages, ids = huge_thread()
    draft = draft_from_thread(messages, ENGINE)
    assert draft.messages == 5_000
    assert draft.product == "scaivault"
    assert set(fx.SCAI_CODES) - {"validation_error", "token_expired"} <= {
        e.code for e in draft.errors}  # every code pasted in the copies
    assert ids <= set(draft.request_ids)
    assert draft.facts["version"] == "2.8.3"  # said once, 4,700 messages in
    assert draft.facts["deployment"] == "AKS"  # the question "is this AKS?" said nothing
    assert draft.sources["version"] == "message 4701 by U_CUST"
    packet = assemble(draft, CATALOG, health=None, answers={}, thread="C1:1", author="U1",
                      redactor=Redactor(), messages=messages)
    md = packet_markdown(packet)
    assert "2.8.3" in md and "req_02480x" in md
    assert fx.DB_PASSWORD not in md


def long_log(lines: int = 20_000) -> str:
    out = []
    for i in range(lines):
        t = f"2026-04-24T03:{i // 600 % 60:02d}:{i // 10 % 60:02d}.{i % 1000:03d}Z"
        if i == 7:
            out.append(f"{t} INFO starting crm-sync 4.2.1, connected to ScaiVault "
                       "version 2.8.3 on openshift")
        elif i % 500 == 0:
            out.append(f'{t} ERROR sync {{"error":{{"code":"backend_timeout","message":'
                       f'"Backend did not respond in time","request_id":"req_{i:08x}"}}}}')
        elif i % 500 == 250:
            out.append(f"{t} WARN pool exhausted, 0 of 20 connections free")
        else:
            out.append(f"{t} INFO worker batch={i} ok latency_ms=12 path=/v1/secrets/x")
    return "\n".join(out)


def test_a_long_log_file_gives_its_version_deployment_errors_and_log_lines():
    log = long_log()
    assert len(log) > 1_000_000
    draft = draft_from_thread([ThreadMessage(f"{fx.T0}.000100", "U_CUST", "the sync log",
                                             (("sync.log", log),))], ENGINE)
    assert draft.facts["version"] == "2.8.3"
    assert draft.facts["deployment"] == "OpenShift"
    assert "backend_timeout" in {e.code for e in draft.errors}
    assert {f"req_{i:08x}" for i in range(0, 20_000, 500)} <= set(draft.request_ids)
    assert len(draft.log_lines) == 80 and draft.log_errors == 40  # 40 errors, 40 warnings


# --------------------------------------------------------------------------- same as one pass

def old_statements(text: str) -> str:
    return "".join(s for s in tf._SENTENCE.findall(text) if not s.rstrip().endswith("?"))


def old_version_in(text: str, words: tf.FactWords) -> str | None:
    said = old_statements(text)
    for regex in (tf._VERSION_SAID, tf._after_names(words.product_names), tf._VERSION_RUN):
        if regex is not None and (m := regex.search(said)):
            return m["v"]
    return None


def old_deployment_in(text: str, words: tf.FactWords) -> str | None:
    if m := tf._DEPLOYMENT_FIELD.search(text):
        return m[1]
    said = old_statements(text)
    for deployment in words.deployments:
        if tf._words_regex(deployment.words).search(said):
            return deployment.name
    return None


def old_steps_in(text: str) -> str | None:
    m = tf._STEPS.search(text)
    if m is None:
        return None
    steps = text[m.end():].strip()
    if not steps or (len(tf._NUMBERED.findall(steps)) < 1 and len(steps) < 20):
        return None
    return steps[:4000]


def old_log_lines(text: str) -> tuple[tuple[str, ...], int]:
    found: list[str] = []
    pos = 0
    while hint := tf._LEVEL_HINT.search(text, pos):
        start = text.rfind("\n", 0, hint.start()) + 1
        end = text.find("\n", hint.end())
        end = len(text) if end == -1 else end
        line = text[start:end]
        m = tf._LOG_LINE.match(line)
        if m and (not m["word"] or tf._LOG_SHAPE.match(line)):
            found.append(line.rstrip())
        pos = end + 1
    return tuple(found), sum(1 for line in found if tf._ERROR_LEVEL.search(line))


FRAGMENTS = (
    "we run ScaiVault 2.8.3 on AKS", "is this AKS?", "what version? 3.4.1", "version: 3.4",
    'app_version="5.1"', "MazeVault\nv3.5", "Maze-Vault 3.5.1-rc1", "maze vault\n\n\n3.6",
    "upgraded to\t4.1.0", "running 7.7.7", "json 1.2.3", "on-prem", "on\nprem", "ON PREM",
    "self hosted", "self-\nhosted", "docker compose", "Docker-Compose", "k8s", "KUBERNETES",
    "aks", "EKS", "azure\nkubernetes", "licence key MV-2291-ACME", "LICENSE: 12345",
    "license no. AB-99", "2026-04-24T03:02:09Z ERROR worker failed", "level=warn msg=x",
    '{"level":"error","msg":"y"}', "we see ERROR in the UI", "[WARN] slow", "Severity: high",
    "lvl=critical", "ſ", "\u212a8s", "İ", "é", "ok!?3.", "3. is it!?4", "version\n\n\n3.4",
    "version is? 3.4", "run? 1.2.3", "  ", "\t", "?", "...", "!?", "\r", "\n", "\n\n",
    "v", "2.", ".8", '"deployment_type": "bare metal"', "Version", "VERSION 9.9.9",
    "steps to reproduce:\n1. open the vault", "Repro steps: call it twice in a row",
    "> HOW TO REPRODUCE\n- restart", "to reproduce it, rotate the key", "repro", "ScaiVault",
    "maze-\nvault 2.1", "self-hosted? no",
)
FILLER = "2026-04-24T03:00:00.123Z INFO worker batch=7 ok latency_ms=12 path=/v1/x tenant=acme"


@st.composite
def long_texts(draw: st.DrawFn) -> str:
    """Lines of filler (over the size where the fast path starts) with fragments mixed in
    anywhere: inside lines, across line breaks, after questions."""
    parts = draw(st.lists(st.sampled_from(FRAGMENTS), min_size=0, max_size=30))
    joins = draw(st.lists(st.sampled_from(("", " ", "\n", ". ", "? ", "\n" + FILLER + "\n")),
                          min_size=len(parts), max_size=len(parts)))
    head = draw(st.integers(0, 80))
    tail = draw(st.integers(0, 80))
    body = "".join(p + j for p, j in zip(parts, joins, strict=True))
    return "\n".join([FILLER] * head) + "\n" + body + "\n" + "\n".join([FILLER] * tail) + (
        "\n" + FILLER) * 60  # always over the fast path's threshold


@settings(max_examples=300, deadline=None)
@given(long_texts())
def test_fast_fact_finders_find_what_one_regex_pass_finds(text):
    assert len(text) >= tf._LONG
    assert tf._statements(text) == old_statements(text)
    for words in (WORDS, SCAI_WORDS):
        assert tf.version_in(text, words) == old_version_in(text, words)
        assert tf.deployment_in(text, words) == old_deployment_in(text, words)
    m = tf._LICENSE.search(text)
    assert tf.license_in(text) == (m["v"] if m else None)
    assert tf.steps_in(text) == old_steps_in(text)
    found = tf.log_lines(text)
    assert (found.lines, found.errors) == old_log_lines(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS + CHAT + (
    "any update on INC-4412?", "we are ſelf-hosted", "ſeverity=error", "\u212aUBERNETES")),
    max_size=6).map(" ".join))
def test_chat_is_ruled_out_by_its_anchors_with_the_same_answer(text):
    """A short text naming no anchor is skipped without its regexes: the same answer."""
    assert len(text) < tf._LONG
    for words in (WORDS, SCAI_WORDS):
        assert tf.version_in(text, words) == old_version_in(text, words)
        assert tf.deployment_in(text, words) == old_deployment_in(text, words)
    assert tf.steps_in(text) == old_steps_in(text)
    found = tf.log_lines(text)
    assert (found.lines, found.errors) == old_log_lines(text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.sampled_from("ab?.! \n\t3v"), max_size=60))
def test_statements_keep_every_line_break_and_drop_only_questions(text):
    assert tf._statements(text) == old_statements(text)


def test_a_question_far_from_the_answer_is_still_only_a_question():
    lines = [FILLER] * 200
    lines[10] = "what version are you on? is it AKS?"
    text = "\n".join(lines)
    assert tf.version_in(text, WORDS) is None
    assert tf.deployment_in(text, WORDS) is None
    lines[150] = "we are on version 3.4.2 (AKS)"
    text = "\n".join(lines)
    assert tf.version_in(text, WORDS) == "3.4.2"
    assert tf.deployment_in(text, WORDS) == "AKS"


def test_a_text_made_of_anchors_is_searched_in_one_pass_with_the_same_answer():
    """Past a thousand anchors (every line says "on 1"), the finders give up on them and
    read the rest in one pass: still the first match, still linear."""
    texts = [
        "on 1\n" * 3_000 + "we are running 2.3.4\n" + "on 1\n" * 10,
        "on 1\n" * 500 + "upgraded to 5.6.7 " + "on 1 " * 2_000,
        "aks " * 3_000 + "\nwe use EKS\n",
        "maze vault x\n" * 2_000 + "MazeVault 9.8\n",
        "licence\n" * 1_500 + "licence key MV-2291-ACME\n",
        "running 2.3.4 " + "on 1 " * 1_200 + "\n" * 20 + "on 1\ndeployed 3.3.3\n",
    ]
    for text in texts:
        for words in (WORDS, SCAI_WORDS):
            assert tf.version_in(text, words) == old_version_in(text, words)
            assert tf.deployment_in(text, words) == old_deployment_in(text, words)
        m = tf._LICENSE.search(text)
        assert tf.license_in(text) == (m["v"] if m else None)
    assert tf.version_in(texts[0], WORDS) == "2.3.4"
    assert tf.deployment_in(texts[2], WORDS) == "EKS"
    assert tf.license_in(texts[4]) == "MV-2291-ACME"
    assert tf.version_in(texts[5], WORDS) == "2.3.4"  # in the block before the thousandth

"""Escalation packets at scale: a 5,000-message thread and a 5 MB log, each under 1.5 s.

What the person escalating waits for (the work runs after Slack's 3 s ack), timed from
the thread's messages to the packet's Markdown and JSON: every message triaged, its
facts read (version, deployment, steps...), the packet redacted and rendered.

  thread   5,000 messages as a support thread grows over days: chat, questions ("is
           this AKS?"), pasted envelopes, `curl -v` output, JSON log snippets, secrets,
           each copy of the recorded thread with fresh request ids; the version and the
           deployment are said once, late in the thread.
  log      one 5 MB application log shared as a file: INFO noise, stack traces,
           key=value and JSON lines, error envelopes with request ids, version strings
           in startup banners, a few secrets.
  small    the recorded thread cycled to 500 messages (the earlier figure, for history).

Each case prints the median and max of RUNS builds (CPU time, so a noisy neighbour
weighs less) against the 1.5 s target, with what the packet found, so a faster build
that finds less shows at once; then the same builds with every triage answer known in
advance: the escalation's own share (thread facts, dedup, redaction, rendering), the
rest being `TriageEngine.triage`, once per distinct text.
"""

from __future__ import annotations

import json
import random
import statistics
import time
from collections.abc import Callable
from typing import cast

from bot.catalog.load import load_catalog
from bot.escalation.draft import ThreadMessage, draft_from_thread
from bot.escalation.packet import Packet, assemble
from bot.escalation.render import packet_json, packet_markdown
from bot.redact import Redactor
from bot.triage.engine import Triage, TriageEngine
from bot.triage.evidence import Evidence
from tests.fakes import escalation_thread as fx

RUNS = 3
TARGET_S = 1.5
THREAD_MESSAGES = 5_000
LOG_BYTES = 5_000_000
SMALL_MESSAGES = 500

CHAT = (
    "any update on INC-{n}?", "still failing for us on worker-{k}", "can you check again please",
    "I'll ask {who} from the platform team", "thanks {who}!", "is this AKS or on-prem?",
    "what version are you on?", "did anything change on your side since {t}?",
    "restarting worker-{k} now", "no change after restarting worker-{k}",
    "looping in @{who} from the db team", "we see it in prod and staging, about {n} calls",
    "it worked for about {k} minutes, then the same again.",
    "customer is asking for an ETA, their batch {n} is blocked",
    "the dashboard shows 5xx going up since {t} UTC", "ok", "+1",
    "we upgraded the client library last week, could that be it?",
    "nothing in our change log for {t}", "{who} is on it, next update at {t}",
)
PEOPLE = ("ana", "bo", "chen", "dara", "eli", "fatima", "gus", "hana", "ivo", "jun")


def big_thread(n: int = THREAD_MESSAGES) -> list[ThreadMessage]:
    """`n` messages: the recorded thread's pastes (one message in four) with fresh request
    ids, between chat that mostly differs (names, numbers, times) and sometimes repeats
    ("ok", "+1"); the version and the deployment said once, three quarters of the way in."""
    rng = random.Random(11)
    base = fx.scai_thread()
    pastes = [m for m in base if any(c in m["text"] for c in ("{", "curl", "ERROR", "token"))]
    out = []
    said = n * 3 // 4
    for i in range(n):
        if i == said:
            text = "For the record: we run ScaiVault 2.8.3 on AKS, three replicas."
        elif i == said + 5:
            text = fx.SCAI_MESSAGES[19][1]  # steps to reproduce
        elif i % 4 == 0:
            text = pastes[(i // 4) % len(pastes)]["text"].replace("req_", f"req_{i:05d}x")
        else:
            text = rng.choice(CHAT).format(n=rng.randint(100, 99999), k=rng.randint(1, 40),
                                           who=rng.choice(PEOPLE),
                                           t=f"{rng.randint(0, 23):02d}:{rng.randint(0, 59):02d}")
        files = (("sync.log", fx.LOG_FILE.replace("req_", f"req_{i:05d}f")),) if (
            i % 500 == 250) else ()
        out.append(ThreadMessage(f"{fx.T0 + i * 30}.{i:06d}", rng.choice(
            ("U_CUST", "U_SUPPORT", "U_DB", "U_SRE")), text, files))
    return out


def big_log(size: int = LOG_BYTES) -> str:
    """An application log of `size` characters: mostly INFO, some errors worth escalating."""
    rng = random.Random(5)
    lines: list[str] = []
    total = 0
    i = 0
    while total < size:
        t = f"2026-04-24T{3 + i // 360000 % 20:02d}:{i // 6000 % 60:02d}:{i // 100 % 60:02d}." \
            f"{i % 1000:03d}Z"
        pick = i % 200
        if pick == 0:
            line = (f"{t} ERROR sync {{\"error\":{{\"code\":\"backend_timeout\",\"message\":"
                    f"\"Backend did not respond in time\",\"request_id\":\"req_{i:08x}\"}}}}")
        elif pick == 50:
            line = (f'{{"ts":"{t}","level":"error","msg":"vault call failed","error":'
                    f'{{"code":"internal_error","message":"An unexpected error occurred",'
                    f'"request_id":"req_{i:08x}"}}}}')
        elif pick == 100:
            line = f"{t} WARN pool exhausted, 0 of 20 connections free (attempt {i % 7})"
        elif pick == 120:
            line = f"{t} ERROR worker password={fx.DB_PASSWORD} user=crm reconnect failed"
        elif pick == 150:
            line = (f"{t} ERROR http status=429 code=rate_limited request_id=req_{i:08x} "
                    "retry_after=45")
        elif pick == 170:
            line = (f"{t} ERROR Traceback (most recent call last):\n"
                    '  File "/app/sync/worker.py", line 212, in run\n'
                    "    batch = client.read_many(paths)\n"
                    '  File "/app/sync/client.py", line 88, in read_many\n'
                    "    raise VaultError(resp.json())\n"
                    "sync.client.VaultError: {'code': 'internal_error'}")
        elif i % 20000 == 7:
            line = (f"{t} INFO starting crm-sync 4.2.{i % 9} (python 3.11.7, "
                    "scaivault-client 1.9.0); connected to ScaiVault version 2.8.3")
        else:
            line = (f"{t} INFO worker batch={i} ok latency_ms={rng.randint(3, 90)} "
                    f"path=/v1/secrets/crm/item-{rng.randint(1, 5000)} tenant=acme")
        lines.append(line)
        total += len(line) + 1
        i += 1
    return "\n".join(lines)[:size]


def small_thread(n: int = SMALL_MESSAGES) -> list[ThreadMessage]:
    base = fx.scai_thread()
    return [ThreadMessage(f"{fx.T0 + i}.000000", base[i % len(base)]["user"],
                          base[i % len(base)]["text"].replace("req_", f"req_{i:04d}x"),
                          (("sync.log", fx.LOG_FILE),) if base[i % len(base)].get("files")
                          else ()) for i in range(n)]


def build(engine: TriageEngine, messages: list[ThreadMessage]) -> tuple[Packet, int]:
    """The packet, and the size of its Markdown and JSON."""
    draft = draft_from_thread(messages, engine)
    packet = assemble(draft, engine.catalog, health=None, answers={}, thread="C:1",
                      author="U1", redactor=Redactor(), messages=messages)
    return packet, len(packet_markdown(packet)) + len(json.dumps(packet_json(packet)))


class _Answered:
    """The engine with every answer known already: what the escalation costs on its own."""

    def __init__(self, engine: TriageEngine, messages: list[ThreadMessage]) -> None:
        self.catalog = engine.catalog
        self.answers = {text: engine.triage(text) for m in messages
                        for text in (m.text, *(body for _, body in m.files)) if text.strip()}

    def triage(self, text: str, hints: object = None) -> Triage:
        return self.answers[text]

    request_id_patterns: tuple[str, ...] = ()

    def evidence(self, text: str) -> Evidence:
        """No request ids: every text is answered as recorded, none as a repeat."""
        return Evidence(text=text)

    def answer(self, text: str, ev: Evidence, hints: object = None) -> Triage:
        return self.answers[text]


def _case(engine: TriageEngine, label: str, make: Callable[[], list[ThreadMessage]]) -> bool:
    messages = make()
    size = sum(len(m.text) + sum(len(t) for _, t in m.files) for m in messages)
    recorded = _Answered(engine, messages)
    answered = cast(TriageEngine, recorded)
    times, own = [], []
    for _ in range(RUNS):
        t0 = time.process_time()
        packet, out_size = build(engine, messages)
        times.append(time.process_time() - t0)
        t0 = time.process_time()
        build(answered, messages)
        own.append(time.process_time() - t0)
    env = dict(packet.environment)
    ok = max(times) < TARGET_S
    print(f"{label}: {len(messages):,} messages, {size / 1e6:.2f} MB in -> "
          f"{len(packet.errors)} distinct errors, {len(packet.request_ids):,} request ids, "
          f"version {env.get('version', '-')}, deployment {env.get('deployment', '-')}, "
          f"{packet.redacted} secrets redacted, {out_size / 1e3:.0f} kB out")
    print(f"  {RUNS} runs (CPU): median {statistics.median(times):.2f} s, max "
          f"{max(times):.2f} s; target < {TARGET_S} s: {'OK' if ok else 'MISSED'}")
    print(f"  the escalation's own work (triage answers known): median "
          f"{statistics.median(own):.2f} s; the rest is triage (bot/triage) of its "
          f"{len(recorded.answers):,} distinct texts")
    return ok


def main() -> None:
    engine = TriageEngine(load_catalog(None))
    results = [
        _case(engine, f"thread ({THREAD_MESSAGES:,} messages)", big_thread),
        _case(engine, f"log ({LOG_BYTES / 1e6:.0f} MB shared as one file)",
              lambda: [ThreadMessage(f"{fx.T0}.000100", "U_CUST", "attaching the sync log",
                                     (("sync.log", big_log()),))]),
        _case(engine, f"small ({SMALL_MESSAGES} recorded messages, cycled)", small_thread),
    ]
    print(f"all under {TARGET_S} s: {'yes' if all(results) else 'NO'}")


if __name__ == "__main__":
    main()

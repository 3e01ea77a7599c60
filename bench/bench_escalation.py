"""Escalation packet assembly for a 500-message thread.

The recorded-style thread (tests/escalation_thread.py) is cycled to 500 messages, each
copy with fresh request ids, so every message is triaged, its facts read, the packet
redacted and rendered as Markdown and JSON. A heavy variant pastes 4 KB of logs in
every message (2 MB in all). Timed from the thread's messages to both files.
Target: a 500-message thread in under 2 s on our 2-core machine (the work runs after
Slack's 3 s ack, so this is what the person escalating waits for).
"""

from __future__ import annotations

import json
import statistics
import time

from bot.catalog.load import load_catalog
from bot.escalation.draft import ThreadMessage, draft_from_thread
from bot.escalation.packet import assemble
from bot.escalation.render import packet_json, packet_markdown
from bot.redact import Redactor
from bot.triage.engine import TriageEngine
from tests.fakes import escalation_thread as fx

MESSAGES = 500
RUNS = 5
TARGET_S = 2.0


def thread(heavy: bool) -> list[ThreadMessage]:
    base = fx.scai_thread()
    out = []
    for i in range(MESSAGES):
        m = base[i % len(base)]
        text = m["text"].replace("req_", f"req_{i:04d}x")  # distinct request ids per copy
        if heavy:
            text += "\n" + "\n".join(
                f"2026-04-24T03:{i % 60:02d}:{j:02d}Z INFO worker batch={j} ok latency_ms=12"
                for j in range(60))
        out.append(ThreadMessage(f"{fx.T0 + i}.000000", m["user"], text,
                                 (("sync.log", fx.LOG_FILE),) if m.get("files") else ()))
    return out


def build(engine: TriageEngine, messages: list[ThreadMessage]) -> tuple[int, int, int]:
    draft = draft_from_thread(messages, engine)
    packet = assemble(draft, engine.catalog, health=None, answers={}, thread="C:1",
                      author="U1", redactor=Redactor(), messages=messages)
    md = packet_markdown(packet)
    js = json.dumps(packet_json(packet))
    return len(packet.errors), len(md) + len(js), packet.redacted


def main() -> None:
    engine = TriageEngine(load_catalog(None))
    for heavy in (False, True):
        messages = thread(heavy)
        size = sum(len(m.text) + sum(len(t) for _, t in m.files) for m in messages)
        times = []
        for _ in range(RUNS):
            t0 = time.perf_counter()
            errors, out_size, redacted = build(engine, messages)
            times.append(time.perf_counter() - t0)
        label = "heavy (4 KB of logs per message)" if heavy else "recorded thread, cycled"
        verdict = "OK" if max(times) < TARGET_S else "MISSED"
        print(f"{label}: {len(messages)} messages, {size / 1e6:.2f} MB in, "
              f"{errors} distinct errors, {redacted} secrets redacted, "
              f"{out_size / 1e3:.0f} kB out")
        print(f"  assembly, {RUNS} runs: median {statistics.median(times) * 1000:.0f} ms, "
              f"max {max(times) * 1000:.0f} ms; target < {TARGET_S:.0f} s: {verdict}")

"""Triage the first N distinct texts of bench_escalation's 5,000-message thread, for an
instruction count that machine load cannot move:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m bench.triage_thread_texts 1200   # minus the same with 0
"""

from __future__ import annotations

import sys

from bench.bench_escalation import big_thread
from bot.catalog.load import load_catalog
from bot.triage.engine import TriageEngine


def main() -> None:
    texts = list(dict.fromkeys(m.text for m in big_thread()))
    engine = TriageEngine(load_catalog(None))
    for text in texts[: int(sys.argv[1]) if len(sys.argv) > 1 else len(texts)]:
        engine.triage(text)


if __name__ == "__main__":
    main()

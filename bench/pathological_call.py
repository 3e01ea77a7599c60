"""One call of bench_pathological on one input, N times, for an instruction count that
machine load cannot move:

    valgrind --tool=callgrind --callgrind-out-file=/dev/null \\
        .venv/bin/python -m bench.pathological_call "blank lines" lookup 1   # minus ... 0

`lookup` is `TriageEngine.triage`; `escalate` is the bench's one-message thread to its
packet.
"""

from __future__ import annotations

import sys

from bench.bench_pathological import INPUTS, _escalate
from bot.catalog.load import load_catalog
from bot.triage.engine import TriageEngine


def main() -> None:
    name, call, times = sys.argv[1], sys.argv[2], int(sys.argv[3])
    engine = TriageEngine(load_catalog())
    engine.triage("warm RATE_LIMITED")
    text = INPUTS[name]()
    for _ in range(times):
        if call == "lookup":
            engine.triage(text)
        else:
            _escalate(engine, text)


if __name__ == "__main__":
    main()

"""CLI cold start: `errcode lookup RATE_LIMITED` against bare Python, in one run.

Each command runs as a fresh process, alternating with the others so machine load hits
all of them alike; the figure is the median wall time over the runs. Issue 11's target:
lookup within 100 ms of bare Python (`python -c pass`). With ERRCODE_BENCH_BASELINE=REV
the same lookup also runs from a checkout of REV (git worktree), in the same loop, with
the same interpreter and libraries: a before/after on one machine at one time.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUNS = 15
TARGET_MS = 100.0
COMMANDS = {
    "bare python": [sys.executable, "-c", "pass"],
    "errcode --version": [sys.executable, "-m", "bot", "--version"],
    "errcode lookup RATE_LIMITED": [sys.executable, "-m", "bot", "lookup", "RATE_LIMITED"],
    "errcode lookup (a sentence)": [sys.executable, "-m", "bot", "lookup",
                                    "scaivault writes return 503 then recover"],
}


def _once(cmd: list[str], cwd: str) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   check=False)
    return (time.perf_counter() - t0) * 1000


@contextmanager
def _baseline(rev: str | None) -> Iterator[dict[str, list[str]]]:
    """`lookup` from a worktree of `rev`, run with PYTHONPATH pointing at it."""
    if not rev:
        yield {}
        return
    root = Path(__file__).resolve().parents[1]
    with tempfile.TemporaryDirectory() as tree:
        subprocess.run(["git", "worktree", "add", "--detach", tree, rev], cwd=root,
                       check=True, capture_output=True)
        try:
            code = f"import sys; sys.path.insert(0, {tree!r}); from bot.cli import main; " \
                   "sys.exit(main())"
            yield {f"lookup RATE_LIMITED at {rev}": [sys.executable, "-c", code, "lookup",
                                                     "RATE_LIMITED"]}
        finally:
            subprocess.run(["git", "worktree", "remove", "--force", tree], cwd=root,
                           check=False, capture_output=True)


def main() -> None:
    with _baseline(os.environ.get("ERRCODE_BENCH_BASELINE")) as extra, \
            tempfile.TemporaryDirectory() as cwd:
        commands = {**COMMANDS, **extra}
        times: dict[str, list[float]] = {name: [] for name in commands}
        for cmd in commands.values():  # warm the OS file cache once
            _once(cmd, cwd)
        for _ in range(RUNS):
            for name, cmd in commands.items():
                times[name].append(_once(cmd, cwd))
    bare = statistics.median(times["bare python"])
    for name, runs in times.items():
        median = statistics.median(runs)
        print(f"  {name:<30} median {median:7.1f} ms   min {min(runs):7.1f} ms   "
              f"(+{median - bare:6.1f} ms over bare python, n={RUNS})")
    lookup = statistics.median(times["errcode lookup RATE_LIMITED"]) - bare
    verdict = "OK" if lookup <= TARGET_MS else "MISSED"
    print(f"target: lookup within {TARGET_MS:.0f} ms of bare python: {verdict} "
          f"(+{lookup:.0f} ms)")

"""CLI cold start: `errcode lookup RATE_LIMITED` against bare Python, in one run.

Issue 11's target: lookup within 100 ms of bare Python (`python -c pass`). Each command
runs as a fresh process, alternating with the others so machine load hits all of them
alike; the figures are the median wall time and the median CPU time (user + system,
which a busy neighbour inflates less) over RUNS runs. When hyperfine is installed
(`apt-get install hyperfine`) it measures the same commands too, as a neutral second
opinion. Lookup is measured as people run it, with errcode's startup caches warm
(`~/.cache/errcode`: the catalog and the compiled regexes, filled by the first run), and
with them off (`ERRCODE_NO_CACHE=1`), the cost of a first run.

With ERRCODE_BENCH_BASELINE=REV the same lookup also runs from an export of REV (`git
archive`, nothing in the repository changes), in the same loop, with the same
interpreter and libraries: a before/after on one machine at one time.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

RUNS = 21
TARGET_MS = 100.0
ROOT = Path(__file__).resolve().parents[1]
LOOKUP = "errcode lookup RATE_LIMITED"
Command = tuple[list[str], dict[str, str]]  # argv, extra environment


def _commands(cache: str) -> dict[str, Command]:
    warm = {"ERRCODE_CACHE_DIR": cache}
    return {
        "bare python": ([sys.executable, "-c", "pass"], {}),
        "errcode --version": ([sys.executable, "-m", "bot", "--version"], warm),
        LOOKUP: ([sys.executable, "-m", "bot", "lookup", "RATE_LIMITED"], warm),
        "lookup, a sentence": ([sys.executable, "-m", "bot", "lookup",
                                "scaivault writes return 503 then recover"], warm),
        "lookup, caches off": ([sys.executable, "-m", "bot", "lookup", "RATE_LIMITED"],
                               {"ERRCODE_NO_CACHE": "1"}),
    }


def _once(command: Command, cwd: str) -> tuple[float, float]:
    """(wall ms, CPU ms) of one run."""
    argv, extra = command
    t0 = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=cwd, env={**os.environ, **extra},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, _, usage = os.wait4(proc.pid, 0)
    return (time.perf_counter() - t0) * 1000, (usage.ru_utime + usage.ru_stime) * 1000


@contextmanager
def _baseline(rev: str | None, cache: str) -> Iterator[dict[str, Command]]:
    """`lookup` from an export of `rev`, run with its checkout first on sys.path."""
    if not rev:
        yield {}
        return
    with tempfile.TemporaryDirectory() as tree:
        archive = subprocess.run(["git", "archive", "--format=tar", rev], cwd=ROOT,
                                 check=True, capture_output=True).stdout
        with tempfile.TemporaryFile() as tar_file:
            tar_file.write(archive)
            tar_file.seek(0)
            with tarfile.open(fileobj=tar_file) as tar:
                tar.extractall(tree, filter="data")
        code = f"import sys; sys.path.insert(0, {tree!r}); from bot.cli import main; " \
               "sys.exit(main())"
        yield {f"lookup at {rev}": ([sys.executable, "-c", code, "lookup", "RATE_LIMITED"],
                                    {"ERRCODE_CACHE_DIR": cache})}


def _hyperfine(commands: dict[str, Command], cwd: str) -> dict[str, float] | None:
    """Mean wall ms per command from hyperfine (no shell), or None without it."""
    exe = shutil.which("hyperfine")
    if exe is None:
        return None
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        argv = [exe, "-N", "--warmup", "3", "--runs", str(RUNS), "--export-json", out.name,
                "--style", "none"]
        for name, (cmd, extra) in commands.items():
            # hyperfine -N splits on spaces: only the commands whose words have none
            if any(" " in part for part in cmd) or extra.get("ERRCODE_NO_CACHE"):
                continue
            argv += ["-n", name, " ".join(cmd)]
        done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False,
                              env={**os.environ, **commands[LOOKUP][1]})
        if done.returncode != 0:
            return None
        results = json.loads(Path(out.name).read_text())["results"]
    return {r["command"]: r["mean"] * 1000 for r in results}


def main() -> None:
    with tempfile.TemporaryDirectory() as cwd, tempfile.TemporaryDirectory() as cache, \
            _baseline(os.environ.get("ERRCODE_BENCH_BASELINE"), cache) as extra:
        commands = {**_commands(cache), **extra}
        for command in commands.values():  # warm the OS file cache and errcode's caches
            _once(command, cwd)
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(RUNS):
            for name, command in commands.items():
                w, c = _once(command, cwd)
                wall[name].append(w)
                cpu[name].append(c)
        hyper = _hyperfine(commands, cwd)
    bare_wall, bare_cpu = statistics.median(wall["bare python"]), statistics.median(
        cpu["bare python"])
    print(f"  {'':<30} {'wall (median)':>22} {'CPU (median)':>22}   n={RUNS}")
    for name in commands:
        w, c = statistics.median(wall[name]), statistics.median(cpu[name])
        print(f"  {name:<30} {w:7.1f} ms (+{w - bare_wall:6.1f}) "
              f"{c:7.1f} ms (+{c - bare_cpu:6.1f})")
    if hyper:
        base = hyper.get("bare python", 0.0)
        print("  hyperfine (mean wall): " + ", ".join(
            f"{name} {ms:.1f} ms (+{ms - base:.1f})" for name, ms in hyper.items()))
    delta = statistics.median(wall[LOOKUP]) - bare_wall
    delta_cpu = statistics.median(cpu[LOOKUP]) - bare_cpu
    verdict = "OK" if delta <= TARGET_MS else "MISSED"
    print(f"target: {LOOKUP} within {TARGET_MS:.0f} ms of bare python: {verdict} "
          f"(+{delta:.0f} ms wall, +{delta_cpu:.0f} ms CPU)")


if __name__ == "__main__":
    main()

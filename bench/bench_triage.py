"""Lookup latency on the shipped catalogs and a generated 10,000-entry catalog; load time.

Targets (issue 2): p99 < 5 ms for short queries on the shipped catalogs, < 25 ms on
10,000 entries, a 1 MB log paste < 250 ms.

The library leaves the garbage collector alone (a process-wide setting is the server's
call); the last rows pair the short queries with and without `gc.freeze()` after
loading, in alternating batches, to show what a long-running server gains from it.
"""

from __future__ import annotations

import gc
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import yaml

from bot.catalog.load import load_catalog
from bot.triage.engine import TriageEngine

WORDS = ("account agent archive audit backup bucket cache certificate channel cluster config "
         "connector credential database deploy device domain endpoint engine export feature "
         "gateway group identity import index invoice job key lease license listener mailbox "
         "metric model namespace node order partition payment pipeline policy project queue "
         "quota record region replica report role route schedule schema secret session shard "
         "snapshot storage stream subscription task template tenant token topic user vault "
         "volume webhook workflow zone").split()
STATES = ("not_found expired invalid locked conflict exceeded unavailable disabled denied "
          "timeout corrupted missing rejected suspended").split()

SHORT_CODE = "VERSON_CONFLICT"
SENTENCE = "the policy still has active bindings so delete fails"


def _log_paste(size: int = 1_000_000) -> str:
    line = "2026-05-01T10:00:00Z INFO GET /api/v1/certs 200 12ms user=alice trace=8f9e7d6c\n"
    body = line * (size // len(line))
    half = len(body) // 2
    return (body[:half] + '2026-05-01T10:00:01Z ERROR {"level":"error","error":"DATABASE_ERROR"}\n'
            + body[half:])


def _generated_catalog(directory: Path, n: int = 10_000) -> None:
    rng = random.Random(7)
    entries, seen = [], set()
    while len(entries) < n:
        code = f"{rng.choice(WORDS)}_{rng.choice(WORDS)}_{rng.choice(STATES)}".upper()
        if code in seen:
            continue
        seen.add(code)
        words = " ".join(rng.sample(WORDS, 6))
        entries.append({"code": code, "http_status": rng.choice([400, 403, 404, 409, 429, 500]),
                        "meaning": f"The {words} operation was {rng.choice(STATES)}.",
                        "resolution": [f"Check the {rng.choice(WORDS)} settings."],
                        "aliases": [f"{rng.choice(WORDS)} {rng.choice(STATES)}"]})
    doc = {"product": {"name": "Generated", "code_style": "upper_snake"}, "entries": entries}
    (directory / "generated.yml").write_text(yaml.safe_dump(doc, sort_keys=False))


def _timings(fn: Callable[[], object], runs: int) -> list[float]:
    fn()  # warm caches
    out = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        out.append((time.perf_counter() - start) * 1000)
    return out


def _row(label: str, ms: list[float], target: float | None = None) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    verdict = "" if target is None else (f"  target p99 < {target:g} ms: "
                                         + ("ok" if p99 < target else "MISSED"))
    return (f"  {label:<44} median {statistics.median(ms):8.2f} ms   p99 {p99:8.2f} ms"
            f"   (n={len(ms)}){verdict}")


def _paired_gc_freeze(fn: Callable[[], object], batches: int, size: int
                      ) -> tuple[list[float], list[float]]:
    """Timings of `fn` with every object so far frozen (gc.freeze) and not, batch by
    batch in turn, so load on a shared machine falls on both alike."""
    frozen: list[float] = []
    thawed: list[float] = []
    gc.collect()
    for _ in range(batches):
        gc.freeze()
        frozen += _timings(fn, size)
        gc.unfreeze()
        thawed += _timings(fn, size)
    return frozen, thawed


def _load(label: str, directory: str | None) -> TriageEngine:
    """Load and index a catalog directory, printing both times."""
    start = time.perf_counter()
    catalog = load_catalog(directory)
    load_ms = (time.perf_counter() - start) * 1000
    start = time.perf_counter()
    engine = TriageEngine(catalog).ready()  # the meaning index too (built on first use)
    index_ms = (time.perf_counter() - start) * 1000
    print(f"{label}: {len(catalog.entries)} entries; load {load_ms:.1f} ms, "
          f"index {index_ms:.1f} ms")
    return engine


def main() -> None:
    engine = _load("shipped catalogs", None)
    big_paste = _log_paste()
    gc.collect()
    gc.freeze()  # as `errcode serve` does once the engine is built (rows below: frozen)
    print(_row(f"short code ({SHORT_CODE})", _timings(lambda: engine.triage(SHORT_CODE), 500),
               5))
    print(_row("one-line sentence", _timings(lambda: engine.triage(SENTENCE), 500), 5))
    print(_row("1 MB log paste", _timings(lambda: engine.triage(big_paste), 15), 250))

    with tempfile.TemporaryDirectory() as tmp:
        _generated_catalog(Path(tmp))
        big = _load("generated catalog", tmp)
    gc.collect()
    gc.freeze()
    code = big.catalog.entries[1234].code.replace("_", " ", 1).lower()
    print(_row(f"short code ({code})", _timings(lambda: big.triage(code), 300), 25))
    print(_row("one-line sentence", _timings(lambda: big.triage(SENTENCE), 300), 25))
    print(_row("1 MB log paste", _timings(lambda: big.triage(big_paste), 10), 250))

    print("gc.freeze() after loading, paired (both catalogs loaded):")
    for label, fn in (("shipped, short code", lambda: engine.triage(SHORT_CODE)),
                      ("shipped, one-line sentence", lambda: engine.triage(SENTENCE)),
                      ("10k, short code", lambda: big.triage(code)),
                      ("10k, one-line sentence", lambda: big.triage(SENTENCE))):
        frozen, thawed = _paired_gc_freeze(fn, batches=6, size=50)
        print(_row(f"{label}: gc.freeze", frozen))
        print(_row(f"{label}: no freeze", thawed))
